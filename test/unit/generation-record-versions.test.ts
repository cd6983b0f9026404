// Generation records keep the model's entries packed (version 2, src/model/pack.ts); those an
// earlier release wrote (version 1) keep them as plain JSON, and are read all the same: a
// rollback to an old generation, or an apply after an upgrade, finds the model it applied.
// Anything else is no generation at all.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/index.js';
import { generationFile, readGeneration } from '../../src/generations/store.js';
import { generationRecords } from '../../src/generations/text.js';
import type { Model } from '../../src/model/types.js';
import { GENERATION_VERSION, type Generation } from '../../src/plan/generation.js';
import { textOf } from '../../src/system/file-content.js';

let root: string;
let dir: string;
const STORES = ['/persist'];

/** A model of a few entries, one in a user's home, validated as apply validates it. */
function model(): Model {
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'etc/passwd'),
    'root:x:0:0::/root:/bin/sh\njane:x:1000:1000::/home/jane:/bin/sh\n',
  );
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\njane:x:1000:\n');
  const file = path.join(root, 'keepsake.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      persistence: {
        '/persist': {
          directories: ['/var/lib/a', { directory: '/var/lib/b', mode: '0700' }],
          files: ['/etc/machine-id'],
          users: { jane: { directories: ['Documents'] } },
        },
      },
    }),
  );
  const { model: m, diagnostics } = validateConfig(file, { root });
  assert.ok(m, JSON.stringify(diagnostics));
  return m;
}

function generation(m: Model, version: number): Generation {
  return {
    version,
    number: 1,
    keepsake: '0.0.0',
    appliedAt: '2026-12-07T00:00:00.000Z',
    configFile: m.configFile,
    root: '/',
    model: m,
    actions: [],
    plan: { root: '/', entries: [], actions: [], released: [], adopted: [] },
  } as unknown as Generation;
}

const write = (text: string) =>
  fs.writeFileSync(path.join(dir, generationFile(1)), text, { mode: 0o644 });

describe('generation records, old and new', {
  skip: process.geteuid?.() !== 0 && 'needs root (the files must be root-owned)',
}, () => {
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-versions-')));
    dir = path.join(root, 'persist/.keepsake/generations');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(path.join(root, 'persist'), 0o755);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes the entries packed, and reads back the model that was applied', () => {
    const m = model();
    const g = generation(m, GENERATION_VERSION);
    const text = textOf(generationRecords(g).history());
    const onDisk = JSON.parse(text) as { version: number; model: { entries: unknown } };
    assert.equal(onDisk.version, 2);
    assert.ok(!Array.isArray(onDisk.model.entries), 'packed');
    write(text);
    const back = readGeneration(root, STORES, 1);
    assert.ok(back);
    assert.deepEqual(back.model, m);
  });

  it('reads a record of an earlier release, its entries plain JSON', () => {
    const m = model();
    write(`${JSON.stringify(generation(m, 1))}\n`);
    const back = readGeneration(root, STORES, 1);
    assert.ok(back);
    assert.equal(back.version, 1);
    assert.deepEqual(back.model, m);
  });

  it('finds no generation in a record of another version, or with entries it cannot read', () => {
    const m = model();
    write(`${JSON.stringify(generation(m, 3))}\n`);
    assert.equal(readGeneration(root, STORES, 1), undefined);
    const text = textOf(generationRecords(generation(m, GENERATION_VERSION)).history());
    const broken = JSON.parse(text) as { model: { entries: { rows: unknown[] } } };
    broken.model.entries.rows = [[0, '/x', 0, 9, 0, 0, 0, 0, 0, 1, 1, 'o', -1]];
    write(JSON.stringify(broken));
    assert.equal(readGeneration(root, STORES, 1), undefined);
  });
});
