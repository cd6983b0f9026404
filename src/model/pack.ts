// The entries of a model in a packed form, as the model cache and the generation records keep
// them: one array of values per entry, with the owners, homes, storage locations and
// configuration files each written once in a table.
// Reading 1,300 entries back as JSON objects (720 KB) took about 15 ms of every apply that
// reads the cache (the parse makes some 8,000 objects, and the collector copies them); the
// packed form is about a fifth of the text, and fewer fresh pages to read it into.
//
// Packing is exact: every field of PersistEntry has its place in a row, which the compiler
// checks (PACKED below: a field added to PersistEntry and not here does not build), and an
// entry whose id is not its kind and target, the only value derived, is not packed (the cache
// then keeps the entries as plain JSON). `unpackEntries` builds objects with the keys in the order the
// normaliser gives them (src/config/normalize.ts), so JSON.stringify of the model read back is
// the text of the model written; test/unit/model-pack.test.ts holds it to that on every
// configuration of the test fixtures.

import type { HomeRef, Ownership, PersistEntry, SourceRef } from './types.js';

/** An entry's values, in this order (0 stands for the usual value where one is derived). */
type Row = [
  kind: 0 | 1, // directory, file
  target: string,
  store: string | 0, // 0: the storage location followed by the target
  storeRoot: number, // index into roots
  method: 0 | 1, // auto, symlink
  owner: number, // index into owners
  parents: number,
  flags: number, // 1 hideMount, 2 allowTrash, 4 adopt
  file: number, // index into files
  line: number,
  column: number,
  option: string,
  home: number, // index into homes, or -1
];

export interface PackedEntries {
  roots: string[];
  owners: Ownership[];
  homes: HomeRef[];
  files: string[];
  rows: Row[];
}

/** Every field of an entry, and where its row keeps it. The type makes the list complete. */
const PACKED = {
  id: 'derived: kind and target',
  kind: 0,
  target: 1,
  store: 2,
  storeRoot: 3,
  method: 4,
  owner: 5,
  parents: 6,
  hideMount: 7,
  allowTrash: 7,
  adopt: 7,
  source: '8 to 11',
  home: 12,
} as const satisfies Record<keyof PersistEntry, number | string>;
// And of its parts: a field added to one of them and not here does not build either.
type Exactly<T, K> = [Exclude<keyof T, K>, Exclude<K, keyof T>] extends [never, never]
  ? true
  : never;
const SOURCE: Exactly<SourceRef, 'file' | 'line' | 'column' | 'option'> = true;
const OWNER: Exactly<Ownership, 'uid' | 'gid' | 'mode' | 'explicit'> = true;
const EXPLICIT: Exactly<Ownership['explicit'], 'user' | 'group' | 'mode'> = true;
const HOME: Exactly<HomeRef, 'user' | 'uid' | 'gid' | 'path'> = true;
void [PACKED, SOURCE, OWNER, EXPLICIT, HOME];

/** The store an entry has unless it names another: the storage location, then the target. */
function usualStore(storeRoot: string, target: string): string {
  return storeRoot === '/' ? target : `${storeRoot}${target}`;
}

/** Interns values by a key of their fields (`keyOf`): each distinct one is written once. */
function table<T>(keyOf: (value: T) => string): { items: T[]; index(value: T): number } {
  const items: T[] = [];
  const seen = new Map<string, number>();
  return {
    items,
    index(value) {
      const key = keyOf(value);
      let i = seen.get(key);
      if (i === undefined) {
        i = items.push(value) - 1;
        seen.set(key, i);
      }
      return i;
    },
  };
}

const text = (s: string) => s;
// Every field of each, in a text that tells any two apart (the names are a user's and a
// path: no NUL in either).
const ownerKey = (o: Ownership) =>
  `${o.uid}:${o.gid}:${o.mode}:${+o.explicit.user}${+o.explicit.group}${+o.explicit.mode}`;
const homeKey = (h: HomeRef) => `${h.user}\0${h.uid}\0${h.gid}\0${h.path}`;

/** The packed form of `entries`, or undefined when an entry's id is not its kind and target. */
export function packEntries(entries: readonly PersistEntry[]): PackedEntries | undefined {
  const roots = table(text);
  const owners = table(ownerKey);
  const homes = table(homeKey);
  const files = table(text);
  const rows: Row[] = [];
  for (const e of entries) {
    if (e.id !== `${e.kind}:${e.target}`) return undefined;
    rows.push([
      e.kind === 'file' ? 1 : 0,
      e.target,
      e.store === usualStore(e.storeRoot, e.target) ? 0 : e.store,
      roots.index(e.storeRoot),
      e.method === 'symlink' ? 1 : 0,
      owners.index(e.owner),
      owners.index(e.parents),
      (e.hideMount ? 1 : 0) | (e.allowTrash ? 2 : 0) | (e.adopt ? 4 : 0),
      files.index(e.source.file),
      e.source.line,
      e.source.column,
      e.source.option,
      e.home === undefined ? -1 : homes.index(e.home),
    ]);
  }
  return {
    roots: roots.items,
    owners: owners.items,
    homes: homes.items,
    files: files.items,
    rows,
  };
}

/**
 * The entries `packed` stands for. Entries with the same owner (or home) share one object: a
 * model is never changed once built (src/generations/model-text.ts relies on it too). Throws
 * on a packed form that is not one packEntries made (the cache is then parsed around).
 */
export function unpackEntries(packed: PackedEntries): PersistEntry[] {
  const { roots, owners, homes, files, rows } = packed;
  const at = <T>(list: T[], i: number): T => {
    const value = list[i];
    if (value === undefined) throw new Error('a packed entry refers to nothing');
    return value;
  };
  const out = new Array<PersistEntry>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as Row;
    const kind = r[0] === 1 ? 'file' : 'directory';
    const target = r[1];
    const storeRoot = at(roots, r[3]);
    const flags = r[7];
    const entry: PersistEntry = {
      id: `${kind}:${target}`,
      kind,
      target,
      store: r[2] === 0 ? usualStore(storeRoot, target) : r[2],
      storeRoot,
      method: r[4] === 1 ? 'symlink' : 'auto',
      owner: at(owners, r[5]),
      parents: at(owners, r[6]),
      hideMount: (flags & 1) !== 0,
      allowTrash: (flags & 2) !== 0,
      adopt: (flags & 4) !== 0,
      source: { file: at(files, r[8]), line: r[9], column: r[10], option: r[11] },
    };
    if (r[12] !== -1) entry.home = at(homes, r[12]);
    out[i] = entry;
  }
  return out;
}
