// The planner's picture of the file tree: what was observed, overlaid with what the actions
// planned so far will have created, seen through the entries that redirect a directory
// (a bind mount or a link shows the store's content at the target).

import type { Observed, PathState } from '../observe/types.js';
import { hostPath } from './paths.js';
import { canonicalPath, type Redirect } from './topology.js';

export const MISSING: PathState = {
  type: 'missing',
  uid: 0,
  gid: 0,
  mode: 0,
  size: 0,
  dev: 0,
  ino: 0,
};

export class UnobservedPathError extends Error {}

export interface View {
  readonly observed: Observed;
  /** State of a system path, following redirects and planned creations. */
  stat(path: string): PathState;
  /** Where a path really lives: redirects followed. Planned creations are keyed by it. */
  canonical(path: string): string;
  /** Path to act on when mounting onto `path`: links followed, binds not (a mount must land
   *  on the bound tree, not on the store behind it). */
  mountPoint(path: string): string;
  /** Record a path the plan will create. */
  plan(path: string, state: PathState): void;
  addRedirect(r: Redirect): void;
}

export function createView(observed: Observed): View {
  const planned = new Map<string, PathState>();
  const redirects: Redirect[] = [];
  const linkRedirects: Redirect[] = [];
  const canonical = (path: string) => canonicalPath(redirects, path);
  return {
    observed,
    canonical,
    mountPoint: (path) => canonicalPath(linkRedirects, path),
    stat(path) {
      const c = canonical(path);
      const p = planned.get(c);
      if (p) return p;
      const s = observed.paths[hostPath(observed.root, c)];
      if (!s) throw new UnobservedPathError(`internal: ${c} was not observed`);
      return s;
    },
    plan(path, state) {
      planned.set(canonical(path), state);
    },
    addRedirect(r) {
      redirects.push(r);
      if (r.entry.method === 'symlink') linkRedirects.push(r);
    },
  };
}

/** Every system path the planner may look at, so the observer can lstat them up front. */
export function pathsToObserve(
  entries: readonly { kind: string; target: string; store: string; storeRoot: string }[],
): string[] {
  const out = new Set<string>(['/']);
  const addWithAncestors = (p: string) => {
    for (let q = p; !out.has(q); q = q.slice(0, Math.max(1, q.lastIndexOf('/')))) out.add(q);
  };
  const dirs = entries.filter((e) => e.kind === 'directory');
  for (const e of entries) {
    addWithAncestors(e.target);
    addWithAncestors(e.store);
    addWithAncestors(e.storeRoot);
    // The same target as seen through any enclosing directory entry's store.
    for (const d of dirs) {
      if (d !== e && e.target.startsWith(`${d.target}/`)) {
        addWithAncestors(d.store + e.target.slice(d.target.length));
      }
    }
  }
  return [...out];
}
