// How entries relate to each other: which directory entry encloses which, which nested
// entries are redundant, and where a path really lives once redirections are followed.

import type { PersistEntry } from '../model/types.js';
import { depthOf, isWithin, rebase } from './paths.js';

/** A directory entry whose target shows the content of its store path. */
export interface Redirect {
  entry: PersistEntry;
  from: string; // the entry's target
  to: string; // the entry's store path
}

export interface Topology {
  /** Entries sorted so that every parent comes before its children. */
  ordered: PersistEntry[];
  /** The nearest directory entry whose target encloses each entry's target. */
  enclosing: Map<string, PersistEntry>;
  /** Entries that a same-store parent bind already shows: they need no mount of their own. */
  covered: Set<string>;
  /** Directory entries with nested entries from another store (their binds are made slaves). */
  hostsForeign: Set<string>;
}

export function buildTopology(entries: readonly PersistEntry[]): Topology {
  const ordered = [...entries].sort(
    (a, b) => depthOf(a.target) - depthOf(b.target) || (a.target < b.target ? -1 : 1),
  );
  const dirs = ordered.filter((e) => e.kind === 'directory');
  const enclosing = new Map<string, PersistEntry>();
  const covered = new Set<string>();
  const hostsForeign = new Set<string>();
  for (const entry of ordered) {
    let parent: PersistEntry | undefined;
    for (const d of dirs) {
      if (d !== entry && d.target !== entry.target && isWithin(entry.target, d.target)) {
        if (!parent || depthOf(d.target) > depthOf(parent.target)) parent = d;
      }
    }
    if (!parent) continue;
    enclosing.set(entry.id, parent);
    const sameStore = rebase(entry.target, parent.target, parent.store) === entry.store;
    if (sameStore && parent.method === 'auto') covered.add(entry.id);
    else if (parent.method === 'auto') hostsForeign.add(parent.id);
  }
  return { ordered, enclosing, covered, hostsForeign };
}

/** The deepest redirect whose `from` encloses `path` (strictly below or at it). */
export function redirectFor(redirects: readonly Redirect[], path: string): Redirect | undefined {
  let best: Redirect | undefined;
  for (const r of redirects) {
    if (isWithin(path, r.from) && (!best || r.from.length > best.from.length)) best = r;
  }
  return best;
}

/** Follow redirects until the path no longer lies in a redirected directory. */
export function canonicalPath(redirects: readonly Redirect[], path: string): string {
  let p = path;
  for (let guard = 0; guard < 64; guard++) {
    const r = redirectFor(redirects, p);
    if (!r) return p;
    p = rebase(p, r.from, r.to);
  }
  return p;
}
