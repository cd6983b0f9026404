// The planner's picture of the file tree: what was observed, overlaid with what the actions
// planned so far will have created, seen through the entries that redirect a directory
// (a bind mount or a link shows the store's content at the target).

import { hostPath, parentOf } from '../core/paths.js';
import type { ContentSummary, Observed, PathState } from '../model/observed.js';
import { canonicalPath, type Redirect } from './topology.js';

export interface View {
  readonly observed: Observed;
  /** State of a system path, following redirects and planned creations. */
  stat(path: string): PathState;
  /** Whether a directory (as `stat` sees it) holds any entry. */
  isEmpty(path: string): boolean;
  contents(path: string): ContentSummary | undefined;
  /** The text of a small file as observed (not of planned ones). */
  readText(path: string, maxBytes: number): string | undefined;
  /** Where a path really lives: redirects followed. Planned creations are keyed by it. */
  canonical(path: string): string;
  /** Path to act on when mounting onto `path`: links followed, binds not (a mount must land
   *  on the bound tree, not on the store behind it). */
  mountPoint(path: string): string;
  /** Record a path the plan will create. */
  plan(path: string, state: PathState): void;
  /** A mark to roll planned paths back to, when an entry turns out to be refused. */
  checkpoint(): number;
  rollback(mark: number): void;
  addRedirect(r: Redirect): void;
}

export function createView(observed: Observed): View {
  const planned = new Map<string, PathState>();
  const log: string[] = []; // planned paths in order, for rollback
  const redirects = new Map<string, Redirect>();
  const linkRedirects = new Map<string, Redirect>();
  // Planning one entry asks about the same few paths many times over (a path, its parents,
  // each again to plan it): answers are kept until the next redirect, which may change them.
  const canonicalOf = new Map<string, string>();
  const canonical = (path: string) => {
    let c = canonicalOf.get(path);
    if (c === undefined) {
      c = canonicalPath(redirects, path);
      canonicalOf.set(path, c);
    }
    return c;
  };
  // Directories with no link redirect at or above them: a mount point's walk up stops at the
  // first one (its parent, for all but the first entry of a directory), where it would go
  // up to / for every entry. The set holds every directory above each path in it (a walk adds
  // the whole way up to where it stopped, itself in the set, or to /): so a link redirect
  // added at a path it does not hold has none of its paths below it either, and leaves it
  // true; one at a path it holds makes it forget them all.
  const unlinked = new Set<string>();
  // The paths a walk passed, 0 to n - 1: written over by each walk, never emptied (emptying
  // an array gives it new storage at the next push).
  const passed: string[] = [];
  const mountPoint = (path: string): string => {
    if (linkRedirects.size === 0) return path;
    let n = 0;
    for (let p = path; !unlinked.has(p); p = parentOf(p)) {
      if (linkRedirects.has(p)) return canonicalPath(linkRedirects, path);
      passed[n++] = p;
      if (p === '/') break;
    }
    for (let i = 0; i < n; i++) unlinked.add(passed[i]!);
    return path;
  };
  return {
    observed,
    canonical,
    mountPoint,
    stat(path) {
      const c = canonical(path);
      const p = planned.get(c);
      if (p) return p;
      return observed.stat(hostPath(observed.root, c));
    },
    isEmpty(path) {
      const c = canonical(path);
      const known = planned.get(c)?.empty;
      return known ?? observed.isEmpty(hostPath(observed.root, c));
    },
    contents(path) {
      return observed.contents(hostPath(observed.root, canonical(path)));
    },
    readText: (path, maxBytes) =>
      planned.has(canonical(path))
        ? undefined
        : observed.readText(hostPath(observed.root, canonical(path)), maxBytes),
    plan(path, state) {
      const c = canonical(path);
      if (!planned.has(c)) log.push(c);
      planned.set(c, state);
    },
    checkpoint: () => log.length,
    rollback(mark) {
      for (const c of log.splice(mark)) planned.delete(c);
    },
    addRedirect(r) {
      redirects.set(r.from, r);
      // Emptied only when it holds something: clear() makes a new table each time, and a
      // no-op plan adds a thousand redirects in a row with nothing asked in between.
      if (canonicalOf.size > 0) canonicalOf.clear();
      if (r.entry.method === 'symlink') {
        linkRedirects.set(r.from, r);
        if (unlinked.has(r.from)) unlinked.clear();
      }
    },
  };
}
