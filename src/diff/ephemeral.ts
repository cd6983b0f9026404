// What the next boot wipes, decided in one place for `diff`, `salvage` and whatever else asks:
// memory-backed file systems (tmpfs, ramfs, and an overlay whose upper layer is one), seen in
// the mount table, and the paths the configuration declares `ephemeral` (a disk-backed root
// rolled back to a blank snapshot at boot). Nothing else is: a persistent root is never
// walked, and nothing on it is ever called lost. Pure; `observeEphemeral` (ephemeral-live.ts) reads the table.

import { mountContaining, topMountAt } from '../core/mount-table.js';
import { hostPath, isWithin, parentOf } from '../core/paths.js';
import type { MountInfo } from '../model/observed.js';

/** Pseudo file systems: never state, never walked. */
export const PSEUDO_PATHS = ['/proc', '/sys', '/dev', '/run'] as const;

const MEMORY_TYPES = new Set(['tmpfs', 'ramfs']);

export interface EphemeralArea {
  /** As the booted system sees it. */
  path: string;
  fsType: string;
  /** `memory`: a memory-backed file system; `declared`: listed in `ephemeral`. */
  why: 'memory' | 'declared';
}

/** Whether a mount's content is gone when the machine stops: it lives in memory. */
export function memoryBacked(m: MountInfo, mounts: readonly MountInfo[]): boolean {
  if (MEMORY_TYPES.has(m.fsType)) return true;
  if (m.fsType !== 'overlay') return false;
  // An overlay keeps what is written in its upper layer: ephemeral when that layer is.
  const upper = /(?:^|,)upperdir=([^,]+)/.exec(m.superOptions)?.[1];
  if (upper === undefined) return false;
  const under = mountContaining(mounts, upper);
  return under !== undefined && under !== m && MEMORY_TYPES.has(under.fsType);
}

/** The mount `root` (a host path) is on: the one at it, else the one holding it. */
function rootMount(root: string, mounts: readonly MountInfo[]): MountInfo | undefined {
  return topMountAt(mounts, root) ?? mountContaining(mounts, root);
}

/**
 * The ephemeral areas of the system at `root`, as it sees them, each one walk: every visible
 * memory-backed mount (the root's own included), then every declared path that is not
 * already inside one; not the pseudo file systems, the stores, or what persists.
 */
export function ephemeralAreas(
  root: string,
  mounts: readonly MountInfo[],
  declaredEphemeral: readonly string[],
  excluded: readonly string[],
): EphemeralArea[] {
  const skip = new Set<string>([...PSEUDO_PATHS, ...excluded]);
  // Neither the path nor a directory above it is left out (asked for each of thousands of
  // mounts where every entry is a bind: no list of ancestors made for each).
  const kept = (path: string) => {
    for (let p = path; ; p = parentOf(p)) {
      if (skip.has(p)) return false;
      if (p === '/') return true;
    }
  };
  const out = new Map<string, EphemeralArea>();
  const base = rootMount(root, mounts);
  if (base !== undefined && memoryBacked(base, mounts))
    out.set('/', { path: '/', fsType: base.fsType, why: 'memory' });
  for (const m of mounts) {
    if (m.mountPoint === root || !(root === '/' || isWithin(m.mountPoint, root))) continue;
    if (topMountAt(mounts, m.mountPoint) !== m || !memoryBacked(m, mounts)) continue;
    const path = root === '/' ? m.mountPoint : m.mountPoint.slice(root.length);
    if (kept(path)) out.set(path, { path, fsType: m.fsType, why: 'memory' });
  }
  for (const path of declaredEphemeral) {
    if (!kept(path) || out.has(path)) continue;
    const m = mountContaining(mounts, hostPath(root, path));
    const inside = [...out.values()].some(
      (a) => isWithin(path, a.path) && mountContaining(mounts, hostPath(root, a.path)) === m,
    );
    if (!inside) out.set(path, { path, fsType: m?.fsType ?? 'unknown', why: 'declared' });
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The area a path lies in, if the next boot wipes it: inside an area and on that area's own
 * file system (a disk mounted inside a rolled-back root is not rolled back with it).
 */
export function areaOf(
  path: string,
  areas: readonly EphemeralArea[],
  root: string,
  mounts: readonly MountInfo[],
): EphemeralArea | undefined {
  const m = mountContaining(mounts, hostPath(root, path));
  let best: EphemeralArea | undefined;
  for (const a of areas) {
    if (!isWithin(path, a.path)) continue;
    if (mountContaining(mounts, hostPath(root, a.path)) !== m) continue;
    if (best === undefined || a.path.length > best.path.length) best = a;
  }
  return best;
}

/** The file system a path is on, for saying why it is not ephemeral. */
export function fsTypeAt(path: string, root: string, mounts: readonly MountInfo[]): string {
  return mountContaining(mounts, hostPath(root, path))?.fsType ?? 'unknown';
}
