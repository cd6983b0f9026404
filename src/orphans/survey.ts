// What `keepsake orphans` lists and `keepsake prune` chooses from: one survey, the same for
// both commands, so they cannot disagree. The protected set, the scan of the stores, the
// orphans, and which of them a process holds open.

import { hostPath, isWithin } from '../core/paths.js';
import { readApplied } from '../generations/store.js';
import type { MountInfo } from '../model/observed.js';
import type { Model } from '../model/types.js';
import { readMountInfo } from '../system/mountinfo.js';
import { findOrphans } from './find.js';
import { openersUnder } from './in-use.js';
import { protectedSet } from './protected.js';
import { scanStores } from './scan.js';
import type { Blocker, Opener, Orphan, Protection, StoreListing } from './types.js';

export interface Survey {
  protections: Protection[];
  listing: StoreListing;
  orphans: Orphan[];
}

/** The blocker for a path some process holds open; undefined when none does. */
export function inUseBlocker(path: string, openers: readonly Opener[]): Blocker | undefined {
  const o = openers.find((x) => isWithin(x.path, path));
  if (!o) return undefined;
  const what = o.path === path ? 'it is' : `${o.path} is`;
  return {
    code: 'in-use',
    path: o.path,
    message: `${what} in use by process ${o.pid} (${o.command}); stop it first`,
  };
}

/** Marks the orphans some process holds open as not prunable. */
function withOpeners(orphans: Orphan[], openers: readonly Opener[]): Orphan[] {
  return orphans.map((o) => {
    const b = inUseBlocker(o.path, openers);
    if (!b) return o;
    const blockers = [...o.blockers, b];
    return {
      ...o,
      prunable: false,
      reason: blockers.map((x) => x.message).join('; '),
      blockers,
    };
  });
}

/** The survey of `root`'s stores for `model` (the configuration given). */
export function survey(
  model: Model,
  root: string,
  mounts: readonly MountInfo[] = readMountInfo(),
): Survey {
  const live = readApplied(root);
  const protections = protectedSet(model, { root, mounts, live });
  const listing = scanStores(model, protections, root, mounts);
  const found = findOrphans(model, listing, protections);
  const openers = openersUnder(
    root,
    found.map((o) => hostPath(root, o.path)),
  );
  return { protections, listing, orphans: withOpeners(found, openers) };
}
