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
