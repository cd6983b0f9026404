// The topology kept in the model cache beside the model (src/plan/topology.ts): seeded from
// its packed form, buildTopology gives what working it out gives, for every real-world
// configuration and one whose entries nest; a packed topology that does not fit the entries
// is left out, and the topology is worked out as usual.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { packEntries, unpackEntries } from '../../src/model/pack.js';
import type { PersistEntry } from '../../src/model/types.js';
import {
  buildTopology,
  type PackedTopology,
  packTopology,
  seedTopology,
  type Topology,
} from '../../src/plan/topology.js';
import { loadRealworld, validatedModel } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-topology-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const modelOf = (name: string, config: object, users: string[] = [], groups: string[] = []) =>
  validatedModel(tmp, name, config, users, groups);

/** The entries as a run that reads the cache has them: a new array of new objects. */
function fromCache(entries: readonly PersistEntry[]): PersistEntry[] {
  const packed = packEntries(entries);
  return packed ? unpackEntries(JSON.parse(JSON.stringify(packed))) : structuredClone([...entries]);
}

/** A topology by entry ids, to compare two made from different arrays of the same entries. */
function byIds(t: Topology) {
  return {
    ordered: t.ordered.map((e) => e.id),
    enclosing: [...t.enclosing].map(([id, parent]) => [id, parent.id]).sort(),
    covered: [...t.covered].sort(),
    hostsForeign: [...t.hostsForeign].sort(),
  };
}

/** Packed from one array, seeded into another (through JSON, as the cache keeps it). */
function seeded(entries: readonly PersistEntry[]): { topology: Topology; seededOk: boolean } {
  const packed = JSON.parse(JSON.stringify(packTopology(entries)));
  const copy = fromCache(entries);
  const seededOk = seedTopology(copy, packed);
  return { topology: buildTopology(copy), seededOk };
}

const NESTED = {
  persistence: {
    '/persist': {
      directories: [
        '/var/lib/outer',
        '/var/lib/outer/inner',
        '/srv/host',
        { directory: '/var/lib/linked', method: 'symlink' },
        '/var/lib/linked/below',
      ],
      files: ['/var/lib/outer/file', '/etc/machine-id'],
    },
    '/other': { directories: ['/srv/host/foreign', '/srv/host/foreign/deeper'] },
  },
};

describe('a topology packed in the model cache', () => {
  for (const c of loadRealworld()) {
    test(`${c.name}: seeded, it is the topology worked out`, () => {
      const model = modelOf(c.name, c.config, c.users, c.groups);
      const { topology, seededOk } = seeded(model.entries);
      assert.ok(seededOk);
      assert.deepEqual(byIds(topology), byIds(buildTopology(fromCache(model.entries))));
    });
  }

  test('entries that nest: enclosing, covered and foreign stores survive', () => {
    const model = modelOf('nested', NESTED);
    const worked = byIds(buildTopology(fromCache(model.entries)));
    // The configuration does nest, in every way the topology records.
    assert.ok(worked.enclosing.length >= 4, JSON.stringify(worked));
    assert.ok(worked.covered.includes('directory:/var/lib/outer/inner'), JSON.stringify(worked));
    assert.ok(worked.hostsForeign.includes('directory:/srv/host'), JSON.stringify(worked));
    const { topology, seededOk } = seeded(model.entries);
    assert.ok(seededOk);
    assert.deepEqual(byIds(topology), worked);
  });

  test('the seeded topology is the one used, not worked out again', () => {
    const model = modelOf('used', NESTED);
    const copy = fromCache(model.entries);
    const packed = packTopology(model.entries);
    // Another order that names every entry once: it fits, so it is what buildTopology gives.
    const reversed: PackedTopology = { ...packed, ordered: [...packed.ordered].reverse() };
    assert.ok(seedTopology(copy, reversed));
    assert.deepEqual(
      buildTopology(copy).ordered.map((e) => e.id),
      reversed.ordered.map((i) => copy[i]!.id),
    );
  });

  test('one that does not fit the entries is left out, and the topology is worked out', () => {
    const model = modelOf('misfit', NESTED);
    const packed = packTopology(model.entries);
    const n = model.entries.length;
    const misfits: [string, unknown][] = [
      ['missing', undefined],
      ['not an object', 'ordered'],
      ['an order too short', { ...packed, ordered: packed.ordered.slice(1) }],
      [
        'an entry twice',
        { ...packed, ordered: [packed.ordered[0], ...packed.ordered.slice(0, -1)] },
      ],
      ['an index out of range', { ...packed, ordered: [...packed.ordered.slice(0, -1), n] }],
      ['a negative index', { ...packed, covered: [-1] }],
      ['a fraction', { ...packed, hostsForeign: [0.5] }],
      ['a string', { ...packed, ordered: packed.ordered.map(String) }],
      ['an odd list of pairs', { ...packed, enclosing: [...packed.enclosing, 0] }],
      ['no list', { ...packed, covered: null }],
    ];
    const worked = byIds(buildTopology(fromCache(model.entries)));
    for (const [what, misfit] of misfits) {
      const copy = fromCache(model.entries);
      assert.equal(seedTopology(copy, misfit), false, what);
      assert.deepEqual(byIds(buildTopology(copy)), worked, what);
    }
  });
});
