// What the next boot wipes, on the live system: the mount table read, then judged by
// ephemeral.ts.

import type { MountInfo } from '../model/observed.js';
import type { Model } from '../model/types.js';
import { readMountInfo } from '../system/mountinfo.js';
import { type EphemeralArea, ephemeralAreas } from './ephemeral.js';

export interface EphemeralView {
  mounts: MountInfo[];
  areas: EphemeralArea[];
}

/** The mount table of this namespace, and what in the root at `root` the next boot wipes. */
export function observeEphemeral(
  root: string,
  model: Model,
  declared: readonly string[],
): EphemeralView {
  const mounts = readMountInfo();
  const listed = (model.ephemeral ?? []).map((e) => e.path);
  return { mounts, areas: ephemeralAreas(root, mounts, listed, [...model.stores, ...declared]) };
}
