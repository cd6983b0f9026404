// The entries of a cached model in a packed form: one array of values per entry, with the
// owners, homes, storage locations and configuration files each written once in a table.
// Reading 1,300 entries back as JSON objects (720 KB) took about 15 ms of every apply that
// reads the cache (the parse makes some 8,000 objects, and the collector copies them); the
// packed form is about a fifth of the text, and fewer fresh pages to read it into.
//
// Packing is exact or declined: an entry with a key this file does not know (a field added to
// PersistEntry and not here) makes `packEntries` return undefined, and the cache then keeps
// the entries as plain JSON. `unpackEntries` builds objects with the keys in the order the
// normaliser gives them (src/config/normalize.ts), so JSON.stringify of the model read back is
// the text of the model written; test/unit/model-pack.test.ts holds it to that on every
// configuration of the test fixtures.

import type { HomeRef, Ownership, PersistEntry } from '../model/types.js';

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

/** The keys of an entry, in the normaliser's order; `home` comes last when it is there. */
const KEYS =
  'id,kind,target,store,storeRoot,method,owner,parents,hideMount,allowTrash,adopt,source';
const SOURCE_KEYS = 'file,line,column,option';
const OWNER_KEYS = 'uid,gid,mode,explicit';
const EXPLICIT_KEYS = 'user,group,mode';
const HOME_KEYS = 'user,uid,gid,path';

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

const keysOf = (o: object) => Object.keys(o).join(',');

/** The shape an ownership must have to be packed: exactly the fields it is read back with. */
function plainOwnership(o: Ownership): boolean {
  return keysOf(o) === OWNER_KEYS && keysOf(o.explicit) === EXPLICIT_KEYS;
}

/** The packed form of `entries`, or undefined when one of them has a shape it cannot keep. */
export function packEntries(entries: readonly PersistEntry[]): PackedEntries | undefined {
  const roots = table(text);
  const owners = table(ownerKey);
  const homes = table(homeKey);
  const files = table(text);
  const rows: Row[] = [];
  for (const e of entries) {
    const keys = keysOf(e);
    if (keys !== (e.home === undefined ? KEYS : `${KEYS},home`)) return undefined;
    if (e.id !== `${e.kind}:${e.target}` || keysOf(e.source) !== SOURCE_KEYS) return undefined;
    if (!plainOwnership(e.owner) || !plainOwnership(e.parents)) return undefined;
    if (e.home !== undefined && keysOf(e.home) !== HOME_KEYS) return undefined;
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
