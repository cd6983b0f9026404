// Releasing a boot's setup, as at shutdown: every bind mount the live generation made is
// unmounted, deepest first, so a child goes before its parent and everything goes before the
// store's own file system. The data stays in the stores; links and mount points on the
// ephemeral root need no care (they vanish with it).

import { sourceOf, stackAt } from '../core/mount-table.js';
import { depthOf, hostPath } from '../core/paths.js';
import type { Observed } from '../model/observed.js';
import type { Generation } from './generation.js';
import { buildTopology, canonicalPath, type Redirect } from './topology.js';

export interface ReleaseStep {
  entry: string;
  /** The mount point as the booted system sees it. */
  target: string;
  store: string;
}

export interface ReleasePlan {
  root: string;
  generation: number;
  /** Unmounts, deepest first. */
  unmounts: ReleaseStep[];
  /** Targets whose utab lines (hideMounts, allowTrash) keepsake wrote and now drops. */
  utab: string[];
  /** Entries left as they are, and why. */
  left: { entry: string; target: string; note: string }[];
}

export function planRelease(live: Generation, observed: Observed): ReleasePlan {
  const { entries } = live.model;
  const { covered } = buildTopology(entries);
  // An entry inside a linked directory is mounted where the link leads.
  const links = new Map<string, Redirect>();
  for (const e of entries)
    if (e.kind === 'directory' && e.method === 'symlink')
      links.set(e.target, { entry: e, from: e.target, to: e.store });
  const utabTargets = new Set(observed.utab.map((u) => u.fields.TARGET));
  const plan: ReleasePlan = {
    root: observed.root,
    generation: live.number,
    unmounts: [],
    utab: [],
    left: [],
  };
  for (const e of entries) {
    if (e.method !== 'auto' || covered.has(e.id)) continue;
    if ((e.hideMount || e.allowTrash) && utabTargets.has(e.target)) plan.utab.push(e.target);
    const point = canonicalPath(links, e.target);
    const stack = stackAt(observed.mounts, hostPath(observed.root, point));
    if (stack.length === 0) continue; // not mounted (a file still linked, or already released)
    const src = sourceOf(observed.mounts, hostPath(observed.root, e.store));
    const ours = (m: (typeof stack)[number]) =>
      !!src && m.device === src.device && m.root === src.root;
    if (ours(stack[stack.length - 1]!)) {
      plan.unmounts.push({ entry: e.id, target: point, store: e.store });
    } else {
      plan.left.push({
        entry: e.id,
        target: e.target,
        note: stack.some(ours)
          ? 'something else is mounted on top of it'
          : 'what is mounted there is not from its store',
      });
    }
  }
  plan.unmounts.sort(
    (a, b) => depthOf(b.target) - depthOf(a.target) || (a.target < b.target ? 1 : -1),
  );
  return plan;
}
