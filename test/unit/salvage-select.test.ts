// The budget and the names: which changed files a salvage keeps (smallest first, then the most
// recently changed), and how a boot's directory is named so that names sort by age.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bootName, isBootName } from '../../src/salvage/boot.js';
import { type Candidate, selectWithinBudget } from '../../src/salvage/candidates.js';
import { serialise } from '../../src/salvage/record.js';

const c = (path: string, size: number, mtimeMs: number): Candidate => ({
  path,
  size,
  mtimeMs,
  type: 'file',
});

describe('the budget', () => {
  test('smallest first, then the most recently changed; the rest listed with the reason', () => {
    const { kept, over } = selectWithinBudget(
      [c('/big', 600, 5), c('/old', 100, 1), c('/new', 100, 9), c('/mid', 250, 3), c('/x', 400, 2)],
      500,
    );
    assert.deepEqual(
      kept.map((k) => k.path),
      ['/new', '/old', '/mid'],
    );
    assert.deepEqual(
      over.map((o) => [o.path, o.size, o.reason]),
      [
        ['/x', 400, 'over the budget (salvage.maxBytes: 500 B)'],
        ['/big', 600, 'over the budget (salvage.maxBytes: 500 B)'],
      ],
    );
  });

  test('a budget of 0 keeps empty files only', () => {
    const { kept, over } = selectWithinBudget([c('/e', 0, 1), c('/f', 1, 1)], 0);
    assert.deepEqual([kept.map((k) => k.path), over.map((o) => o.path)], [['/e'], ['/f']]);
  });
});

describe('boot names and the record', () => {
  test('UTC start, then the boot id: sortable, and told apart from anything else', () => {
    const a = bootName(Date.UTC(2026, 11, 6, 8, 30, 0), '4f1c-aa');
    const b = bootName(Date.UTC(2026, 11, 7, 1, 0, 0), '0000-bb');
    assert.equal(a, '20261206T083000Z-4f1c-aa');
    assert.ok(a < b);
    assert.ok(isBootName(a));
    assert.ok(!isBootName('.staging') && !isBootName('20261206T083000Z-../x'));
  });

  test('the record keeps its key order whatever the object holds', () => {
    const text = serialise({
      skipped: [{ reason: 'r', size: 1, path: '/s' }],
      files: [{ type: 'link', mode: 511, gid: 0, uid: 0, mtime: 'm', size: 3, path: '/l' }],
      bytes: 3,
      complete: false,
      finishedAt: null,
      startedAt: 's',
      bootId: 'id',
      boot: 'b',
      version: 1,
    });
    assert.equal(
      text,
      '{"version":1,"boot":"b","bootId":"id","startedAt":"s","finishedAt":null,"complete":false,"bytes":3,"files":[{"path":"/l","size":3,"mtime":"m","uid":0,"gid":0,"mode":511,"type":"link"}],"skipped":[{"path":"/s","size":1,"reason":"r"}]}\n',
    );
  });
});
