// How entries relate to each other: which directory entry encloses which, which nested
// entries are redundant, and where a path really lives once redirections are followed.

import { depthOf, parentOf, rebase } from '../core/paths.js';
import type { PersistEntry } from '../model/types.js';

/** A directory entry whose target shows the content of its store path. */
export interface Redirect {
  entry: PersistEntry;
  from: string; // the entry's target
  to: string; // the entry's store path
}

export interface Topology {
  /** Entries sorted so that every parent comes before its children. */
  readonly ordered: readonly PersistEntry[];
  /** The nearest directory entry whose target encloses each entry's target. */
  readonly enclosing: ReadonlyMap<string, PersistEntry>;
  /** Entries that a same-store parent bind already shows: they need no mount of their own. */
  readonly covered: ReadonlySet<string>;
  /** Directory entries with nested entries from another store (their binds are made slaves). */
  readonly hostsForeign: ReadonlySet<string>;
}

const topologies = new WeakMap<readonly PersistEntry[], Topology>();

/** The topology of a model's entries, made once per list (a model is never changed once
 *  built, and the planner only reads it): an apply that acted plans its model again. */
export function buildTopology(entries: readonly PersistEntry[]): Topology {
  let topology = topologies.get(entries);
  if (topology === undefined) {
    topology = topologyOf(entries);
    topologies.set(entries, topology);
  }
  return topology;
}

/**
 * A topology as plain data, by index into the entries it was made from: kept in the model
 * cache beside the model (src/apply/model-cache.ts), so that a run that reads its model from
 * there neither sorts the entries nor walks up from each of them again (a few milliseconds at
 * a thousand entries, in every apply that plans).
 */
export interface PackedTopology {
  ordered: number[];
  /** Each entry with a directory entry above it, followed by the nearest such entry. */
  enclosing: number[];
  covered: number[];
  hostsForeign: number[];
}

export function packTopology(entries: readonly PersistEntry[]): PackedTopology {
  const topo = buildTopology(entries);
  const index = new Map<PersistEntry, number>();
  const byId = new Map<string, number>();
  entries.forEach((e, i) => {
    index.set(e, i);
    byId.set(e.id, i);
  });
  const enclosing: number[] = [];
  for (const [id, parent] of topo.enclosing) enclosing.push(byId.get(id)!, index.get(parent)!);
  return {
    ordered: topo.ordered.map((e) => index.get(e)!),
    enclosing,
    covered: [...topo.covered].map((id) => byId.get(id)!),
    hostsForeign: [...topo.hostsForeign].map((id) => byId.get(id)!),
  };
}

/**
 * Makes `packed` the topology buildTopology gives for `entries`, when it fits them: every
 * index an integer in range, the order naming each entry once. Made by packTopology from the
 * same entries (the cache holding both is keyed by everything the model depends on, and
 * keepsake's build); anything else is left out, and the topology is worked out as usual.
 */
export function seedTopology(entries: readonly PersistEntry[], packed: unknown): boolean {
  if (typeof packed !== 'object' || packed === null) return false;
  const { ordered, enclosing, covered, hostsForeign } = packed as Record<string, unknown>;
  const n = entries.length;
  if (!isIndexList(ordered, n) || ordered.length !== n) return false;
  if (!isIndexList(enclosing, n) || enclosing.length % 2 !== 0) return false;
  if (!isIndexList(covered, n) || !isIndexList(hostsForeign, n)) return false;
  const seen = new Uint8Array(n);
  const order: PersistEntry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const at = ordered[i]!;
    if (seen[at] === 1) return false;
    seen[at] = 1;
    order[i] = entries[at]!;
  }
  const around = new Map<string, PersistEntry>();
  for (let i = 0; i < enclosing.length; i += 2) {
    around.set(entries[enclosing[i]!]!.id, entries[enclosing[i + 1]!]!);
  }
  const ids = (list: number[]) => new Set(list.map((i) => entries[i]!.id));
  topologies.set(entries, {
    ordered: order,
    enclosing: around,
    covered: ids(covered),
    hostsForeign: ids(hostsForeign),
  });
  return true;
}

/** An array of integers from 0 to n - 1. */
function isIndexList(list: unknown, n: number): list is number[] {
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) {
    const x: unknown = list[i];
    if (typeof x !== 'number' || !(x >= 0 && x < n) || Math.floor(x) !== x) return false;
  }
  return true;
}

function topologyOf(entries: readonly PersistEntry[]): Topology {
  const ordered = parentsFirst(entries);
  const dirs = directoryIndex(entries);
  const enclosing = new Map<string, PersistEntry>();
  const covered = new Set<string>();
  const hostsForeign = new Set<string>();
  for (const entry of ordered) {
    const parent = nearestEnclosing(dirs, entry.target);
    if (!parent) continue;
    enclosing.set(entry.id, parent);
    const sameStore = rebase(entry.target, parent.target, parent.store) === entry.store;
    // Inside a bind or a link of the same store, the entry's data is already there.
    if (sameStore) covered.add(entry.id);
    else if (parent.method === 'auto') hostsForeign.add(parent.id);
  }
  return { ordered, enclosing, covered, hostsForeign };
}

/**
 * Entries by depth, then by target. Each is sorted by a key that compares the same way (its
 * depth as one character, then its target), which the engine sorts without calling back into
 * a comparison function thousands of times. Two entries with one target (which a checked
 * configuration never has) are sorted the long way, which orders them as it always did.
 */
function parentsFirst(entries: readonly PersistEntry[]): PersistEntry[] {
  const byKey = new Map<string, PersistEntry>();
  for (const e of entries) {
    const depth = depthOf(e.target);
    const key = String.fromCharCode(depth) + e.target;
    if (depth > 0xffff || byKey.has(key)) return sortedByComparison(entries);
    byKey.set(key, e);
  }
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

function sortedByComparison(entries: readonly PersistEntry[]): PersistEntry[] {
  // Each depth counted once, not once per comparison.
  return entries
    .map((e) => ({ e, depth: depthOf(e.target) }))
    .sort((a, b) => a.depth - b.depth || (a.e.target < b.e.target ? -1 : 1))
    .map((x) => x.e);
}

/** The nearest directory entry whose target lies strictly above `path`. */
function nearestEnclosing<E>(dirs: ReadonlyMap<string, E>, path: string): E | undefined {
  for (let p = path; p !== '/'; ) {
    p = parentOf(p);
    const d = dirs.get(p);
    if (d) return d;
  }
  return undefined;
}

/** Directory entries by target, for walking up from a path instead of scanning all entries. */
export function directoryIndex<E extends { kind: string; target: string }>(
  entries: readonly E[],
): Map<string, E> {
  const out = new Map<string, E>();
  for (const e of entries) if (e.kind === 'directory') out.set(e.target, e);
  return out;
}

/** Directory entries whose targets lie strictly above `path`, nearest first. */
export function enclosingDirs<E>(dirs: ReadonlyMap<string, E>, path: string): E[] {
  const out: E[] = [];
  for (let p = path; p !== '/'; ) {
    p = parentOf(p);
    const d = dirs.get(p);
    if (d) out.push(d);
  }
  return out;
}

/** The deepest redirect whose `from` is `path` or lies above it. */
export function redirectFor(
  redirects: ReadonlyMap<string, Redirect>,
  path: string,
): Redirect | undefined {
  for (let p = path; ; p = parentOf(p)) {
    const r = redirects.get(p);
    if (r) return r;
    if (p === '/') return undefined;
  }
}

/** Follow redirects until the path no longer lies in a redirected directory. */
export function canonicalPath(redirects: ReadonlyMap<string, Redirect>, path: string): string {
  if (redirects.size === 0) return path;
  let p = path;
  for (let guard = 0; guard < 64; guard++) {
    const r = redirectFor(redirects, p);
    if (!r) return p;
    p = rebase(p, r.from, r.to);
  }
  return p;
}
