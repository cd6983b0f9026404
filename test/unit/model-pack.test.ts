// The packed entries of the model cache (src/apply/model-pack.ts): read back, every real-world
// configuration's model is the model written, key order and all (the records are made of its
// JSON text); an entry whose id is not derived as the packer derives it is never packed.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { packEntries, unpackEntries } from '../../src/model/pack.js';
import type { PersistEntry } from '../../src/model/types.js';
import { loadRealworld, validatedModel } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-pack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The model of a configuration, validated in a root with the accounts it names. */
const modelOf = (name: string, config: object, users: string[] = [], groups: string[] = []) =>
  validatedModel(tmp, name, config, users, groups);

/** Through the packed form and its JSON text, as the cache keeps it. */
function roundTrip(entries: readonly PersistEntry[]): PersistEntry[] {
  const packed = packEntries(entries);
  assert.ok(packed, 'packed');
  return unpackEntries(JSON.parse(JSON.stringify(packed)));
}

const cases = loadRealworld();

describe('packed entries read back', () => {
  for (const c of cases) {
    test(`${c.name}: the same model, and the same JSON text`, () => {
      const model = modelOf(c.name, c.config, c.users, c.groups);
      assert.ok(model.entries.length > 0);
      const back = roundTrip(model.entries);
      assert.deepEqual(back, model.entries);
      assert.equal(JSON.stringify(back), JSON.stringify(model.entries));
    });
  }

  test('every field that differs from the usual survives', () => {
    const model = modelOf(
      'unusual',
      {
        persistence: {
          '/persist': {
            hideMounts: true,
            directories: [
              '/var/lib/plain',
              { directory: '/var/lib/owned', user: 'jane', group: 'wheel', mode: '0700' },
              { directory: '/var/lib/linked', method: 'symlink' },
              { directory: '/var/lib/trash', allowTrash: true },
            ],
            files: ['/etc/machine-id'],
            users: { jane: { directories: ['Documents'], files: ['.bashrc'] } },
          },
          '/p2': { directories: ['/var/lib/second'] },
        },
      },
      ['jane'],
      ['wheel'],
    );
    assert.ok(model.entries.some((e) => e.home !== undefined));
    assert.equal(new Set(model.entries.map((e) => e.storeRoot)).size, 2);
    const back = roundTrip(model.entries);
    assert.deepEqual(back, model.entries);
    assert.equal(JSON.stringify(back), JSON.stringify(model.entries));
    // And a store that is not the storage location followed by the target.
    const moved = model.entries.map((e, i) => (i === 0 ? { ...e, store: '/elsewhere/x' } : e));
    assert.equal(roundTrip(moved)[0]?.store, '/elsewhere/x');
  });

  test('an entry whose id is not its kind and target is not packed', () => {
    // Every other field has its place in a row, which the compiler checks (PACKED).
    const model = modelOf(
      'shapes',
      { persistence: { '/persist': { directories: ['/var/lib/a'] } } },
      [],
      [],
    );
    const [e] = model.entries as [PersistEntry];
    assert.equal(packEntries([e, { ...e, id: 'something:else' }]), undefined);
    assert.ok(packEntries([e]));
  });

  test('a packed form that refers to nothing throws', () => {
    const packed = packEntries(
      modelOf('refs', { persistence: { '/persist': { directories: ['/var/lib/a'] } } }, [], [])
        .entries,
    );
    assert.ok(packed);
    for (const at of [3, 5, 6, 8]) {
      const rows = packed.rows.map((r) => Object.assign([...r], { [at]: 99 }) as typeof r);
      assert.throws(() => unpackEntries({ ...packed, rows }), /refers to nothing/, String(at));
    }
  });
});
