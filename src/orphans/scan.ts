// Walks each store into a StoreListing for `findOrphans`. Read-only: lstat and readdir only,
// no link is followed, no other file system (a different st_dev, or any mount point in
// /proc/self/mountinfo, bind mounts included) is entered. Directories that lead to a
// protected path are listed; a protected path is listed but never entered (it is referenced
// as a whole); everything else is summed without listing, du-like.

import * as fs from 'node:fs';
import { describeErrno } from '../core/errno.js';
import { topMountAt } from '../core/mount-table.js';
import { hostPath, isWithin } from '../core/paths.js';
import type { MountInfo } from '../model/observed.js';
import type { Model } from '../model/types.js';
import { kindOf } from '../system/file-kind.js';
import { readMountInfo } from '../system/mountinfo.js';
import { childPath, noteOwned, type References, referencesOf } from './find.js';
import type { ListedNode, Protection, StoreListing, StoreScan, TreeTotals } from './types.js';

function lstatQuiet(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // vanished or unreadable: not there for the scan
  }
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${describeErrno(code)} (${code})` : String(error);
}

function nodeOf(name: string, st: fs.Stats): ListedNode {
  return {
    name,
    kind: kindOf(st),
    uid: st.uid,
    mode: st.mode & 0o7777,
    size: st.size,
    mtimeMs: st.mtimeMs,
  };
}

interface Walk {
  root: string;
  mounts: readonly MountInfo[];
  /** The store's device: anything else is another file system. */
  dev: number;
}

/** A directory that belongs to another mount than the store. */
function isMount(walk: Walk, host: string, st: fs.Stats): boolean {
  return st.dev !== walk.dev || topMountAt(walk.mounts, host) !== undefined;
}

/** du-like totals of everything below `sys` (not counting `sys` itself). */
export function totalsBelow(walk: Walk, sys: string): TreeTotals {
  const t: TreeTotals = { files: 0, directories: 0, bytes: 0, newestMs: 0, mounts: [], errors: [] };
  const stack = [sys];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = fs.readdirSync(hostPath(walk.root, dir));
    } catch (error) {
      t.errors.push(`${dir}: ${reasonOf(error)}`);
      continue;
    }
    for (const name of names) {
      const path = childPath(dir, name);
      const host = hostPath(walk.root, path);
      const st = lstatQuiet(host);
      if (!st) continue;
      t.newestMs = Math.max(t.newestMs, st.mtimeMs);
      if (st.uid !== 0) noteOwned(t, [{ path, uid: st.uid }]);
      if (!st.isDirectory()) {
        t.files++;
        t.bytes += st.size;
        continue;
      }
      t.directories++;
      if (isMount(walk, host, st)) t.mounts.push(path);
      else stack.push(path);
    }
  }
  t.mounts.sort();
  return t;
}

function scanStore(refs: References, root: string, store: string, mounts: readonly MountInfo[]) {
  const host = hostPath(root, store);
  const st = lstatQuiet(host);
  const scan: StoreScan = { store, state: 'ok', skipped: [] };
  if (!st) return { ...scan, state: 'missing' as const };
  if (st.isSymbolicLink()) return { ...scan, state: 'symlink' as const };
  if (!st.isDirectory()) return { ...scan, state: 'not-directory' as const };
  const walk: Walk = { root, mounts, dev: st.dev };
  const anchors = refs.anchors.filter((a) => a !== store);
  const isProtected = (p: string) => refs.entries.some((s) => isWithin(p, s));
  const leadsSomewhere = (p: string) => anchors.some((a) => isWithin(a, p));

  const list = (dir: string, node: ListedNode) => {
    node.children = [];
    let names: string[];
    try {
      names = fs.readdirSync(hostPath(root, dir)).sort();
    } catch (error) {
      scan.skipped.push({ path: dir, reason: `cannot be listed: ${reasonOf(error)}` });
      return;
    }
    for (const name of names) {
      const path = childPath(dir, name);
      const childHost = hostPath(root, path);
      const cst = lstatQuiet(childHost);
      if (!cst) continue;
      const child = nodeOf(name, cst);
      node.children.push(child);
      // Another storage location and protected data are referenced as they are.
      if (refs.roots.has(path) || isProtected(path) || !cst.isDirectory()) continue;
      if (isMount(walk, childHost, cst)) {
        child.mount = true;
        if (leadsSomewhere(path)) {
          scan.skipped.push({ path, reason: 'another file system is mounted there' });
        }
        continue;
      }
      if (leadsSomewhere(path)) list(path, child);
      else child.below = totalsBelow(walk, path);
    }
  };
  const node = nodeOf('', st);
  list(store, node);
  return { ...scan, node };
}

/**
 * Lists every storage location of the model, as found under `root` (the `--root` directory,
 * a real path), entering only what the protected set leaves unreferenced. `mounts` defaults
 * to this process's mount table.
 */
export function scanStores(
  model: Model,
  protections: readonly Protection[],
  root: string,
  mounts: readonly MountInfo[] = readMountInfo(),
): StoreListing {
  const refs = referencesOf(model.stores, protections);
  return { stores: model.stores.map((store) => scanStore(refs, root, store, mounts)) };
}
