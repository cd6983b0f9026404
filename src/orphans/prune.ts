// `keepsake prune`: which paths to delete, checked in full before anything is deleted, then
// the deletion. Paths given on the command line are system paths (as in the configuration);
// each must be an orphan or lie inside one, and every one is checked before the first
// deletion. The caller holds the lock.

import * as fs from 'node:fs';
import path from 'node:path';
import { mountContaining } from '../core/mount-table.js';
import { hostPath, isWithin, parentOf } from '../core/paths.js';
import { stepCounter } from '../hooks.js';
import type { MountInfo } from '../model/observed.js';
import type { Model } from '../model/types.js';
import { readMountInfo } from '../system/mountinfo.js';
import {
  inspectTree,
  type Judgement,
  type Removal,
  removeTreeSafe,
} from '../system/remove-tree.js';
import { withVerifiedPath } from '../system/safe-fs.js';
import { controlBlocker } from './find.js';
import { openersUnder } from './in-use.js';
import { inUseBlocker, type Survey, survey } from './survey.js';
import type { NodeKind, Orphan, Protection } from './types.js';

export interface PruneTarget {
  store: string;
  /** System path to delete. */
  path: string;
  /** The orphan it is or lies in. */
  orphan: string;
  /** It lies in a user's storage directory: whatever a user owns there is kept. */
  userOwned: boolean;
  kind: NodeKind;
  files: number;
  directories: number;
  bytes: number;
}

export interface Refusal {
  path: string;
  reason: string;
}

export interface PrunePlan {
  orphans: Orphan[];
  /** What will be deleted: empty when anything was refused. */
  targets: PruneTarget[];
  refused: Refusal[];
  /** Orphans left alone because they are not prunable (when no path was given). */
  kept: Orphan[];
  /** What the check saw of each target (by path): the deletion removes nothing else. */
  judged: Map<string, Judgement>;
}

export interface PruneResult {
  deleted: Array<Omit<Removal, 'kept'> & { store: string }>;
  /** Parts left in place, with the reason. */
  kept: Refusal[];
}

function normalise(arg: string): string | undefined {
  if (!arg.startsWith('/')) return undefined;
  const p = path.posix.normalize(arg);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** `it is X` → `it holds X`: a path that holds protected data. */
const holding = (why: string) => why.replace(/^it (is|holds) /, 'it holds ');

/** Why a path that is no orphan may not be pruned. */
function notOrphan(model: Model, s: Survey, root: string, p: string): string {
  const store = [...model.stores].sort((a, b) => b.length - a.length).find((x) => isWithin(p, x));
  if (!store) return `it is not inside any store (${model.stores.join(', ')})`;
  if (p === store) return 'it is a store itself';
  const whole = s.protections.filter((x) => x.scope === 'whole');
  const holder = whole.find((x) => isWithin(p, x.path));
  if (holder) return holder.path === p ? holder.why : `${holder.why} (in ${holder.path})`;
  const inner = whole.filter((x) => isWithin(x.path, p));
  const first = inner[0];
  if (first) {
    const more = inner.length > 1 ? ` and ${inner.length - 1} more` : '';
    return `${holding(first.why)} (${first.path})${more}`;
  }
  const userDir = s.protections.find((x) => x.scope === 'user-owned' && isWithin(x.path, p));
  if (userDir) return `it holds ${userDir.why} ${userDir.path}`;
  if (!lstatQuiet(hostPath(root, p))) return 'it does not exist';
  for (const scan of s.listing.stores) {
    if (scan.store === store && scan.state !== 'ok') return `its store is ${scan.state}`;
    for (const k of scan.skipped) {
      if (isWithin(p, k.path)) return `it lies in ${k.path}, which was not scanned: ${k.reason}`;
    }
  }
  return 'it is not orphaned store data (keepsake orphans lists what is)';
}

function lstatQuiet(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** A path strictly inside an orphan: nothing in the way, and root's alone to delete. */
function insideOrphan(root: string, o: Orphan, p: string): string | undefined {
  for (const b of o.blockers) {
    if (b.code === 'store-not-root' || b.code === 'parent-not-root') return b.message;
    if (b.code === 'mount-point' || b.code === 'holds-mount') {
      if (isWithin(p, b.path)) return `it lies on another file system, mounted at ${b.path}`;
      if (isWithin(b.path, p)) return `a file system is mounted inside it at ${b.path}`;
    }
  }
  // Every directory from the orphan down to its parent: real, and root's alone.
  const dirs: string[] = [];
  for (let d = parentOf(p); isWithin(d, o.path); d = parentOf(d)) dirs.unshift(d);
  for (const d of dirs) {
    const st = lstatQuiet(hostPath(root, d));
    if (!st) return 'it does not exist';
    if (st.isSymbolicLink()) return `${d} is a symbolic link, which prune never follows`;
    if (!st.isDirectory()) return 'it does not exist';
    const blocker = controlBlocker(d, st.uid, st.mode & 0o7777, 'parent-not-root');
    if (blocker) return blocker.message;
  }
  if (!lstatQuiet(hostPath(root, p))) return 'it does not exist';
  return undefined;
}

/** Drops duplicates and paths inside another chosen path. */
function topMost<T extends { path: string }>(items: T[]): T[] {
  const sorted = [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const out: T[] = [];
  for (const item of sorted) if (!out.some((o) => isWithin(item.path, o.path))) out.push(item);
  return out;
}

/**
 * Decides what `keepsake prune [PATH...]` deletes: with no path, every prunable orphan. Scans,
 * finds orphans and checks every target in full (through verified descriptors, for mounts
 * and unreadable parts); any refusal leaves `targets` empty.
 */
export function planPrune(
  model: Model,
  root: string,
  args: readonly string[],
  mounts: readonly MountInfo[] = readMountInfo(),
  surveyed: Survey = survey(model, root, mounts),
): PrunePlan {
  const { orphans } = surveyed;
  const refused: Refusal[] = [];
  let chosen: Array<{ path: string; orphan: Orphan }> = [];
  let kept: Orphan[] = [];
  if (args.length === 0) {
    chosen = orphans.filter((o) => o.prunable).map((o) => ({ path: o.path, orphan: o }));
    kept = orphans.filter((o) => !o.prunable);
  } else {
    for (const arg of args) {
      const p = normalise(arg);
      if (p === undefined) {
        refused.push({
          path: arg,
          reason:
            'not an absolute path (give the path as the system sees it, e.g. /persist/var/lib/old)',
        });
        continue;
      }
      const orphan = orphans.find((o) => isWithin(p, o.path));
      if (!orphan) {
        refused.push({ path: p, reason: notOrphan(model, surveyed, root, p) });
        continue;
      }
      const reason = p === orphan.path ? orphan.reason : insideOrphan(root, orphan, p);
      if (reason) refused.push({ path: p, reason });
      else chosen.push({ path: p, orphan });
    }
  }
  const targets: PruneTarget[] = [];
  const picked = topMost(chosen);
  const openers = openersUnder(
    root,
    picked.map((c) => hostPath(root, c.path)),
  );
  const judged = new Map<string, Judgement>();
  for (const { path: p, orphan } of picked) {
    try {
      const userOwned = inUserDir(surveyed.protections, p);
      const check = inspectTree(hostPath(root, p), mounts, { userOwned });
      const mount = check.mounts[0];
      const problem = check.problems[0];
      const busy = inUseBlocker(p, openers);
      const readOnly = readOnlyReason(root, p, mounts);
      if (busy) refused.push({ path: p, reason: busy.message });
      else if (readOnly) refused.push({ path: p, reason: readOnly });
      else if (mount !== undefined) {
        refused.push({
          path: p,
          reason: `a file system is mounted ${mount === check.path ? 'there' : `inside it at ${systemPath(root, mount)}`}; prune never crosses a mount`,
        });
      } else if (problem) {
        refused.push({ path: p, reason: `${systemPath(root, problem.path)}: ${problem.reason}` });
      } else {
        judged.set(p, check.judgement);
        targets.push({
          userOwned,
          store: orphan.store,
          path: p,
          orphan: orphan.path,
          kind: check.kind,
          files: check.files,
          directories: check.directories,
          bytes: check.bytes,
        });
      }
    } catch (error) {
      refused.push({ path: p, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { orphans, targets: refused.length > 0 ? [] : targets, refused, kept, judged };
}

/**
 * Why nothing of `p` can be deleted because its file system is mounted read-only, if it is:
 * found before the first deletion, so a read-only store is a refusal that changes nothing,
 * not a prune that fails on every file.
 */
function readOnlyReason(root: string, p: string, mounts: readonly MountInfo[]): string | undefined {
  const host = hostPath(root, p);
  try {
    withVerifiedPath(parentOf(host), 'directory', (proc) => fs.accessSync(proc, fs.constants.W_OK));
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EROFS') return undefined; // the deletion says
    const at = mountContaining(mounts, parentOf(host));
    const mp = at ? systemPath(root, at.mountPoint) : undefined;
    return `its file system is mounted read-only${mp ? ` (at ${mp})` : ''}: remount it read-write (mount -o remount,rw ${mp ?? 'MOUNTPOINT'}), then prune again`;
  }
}

/** `--root`'s prefix taken off a host path, for messages. */
export function systemPath(root: string, host: string): string {
  if (root === '/') return host;
  return host === root ? '/' : host.startsWith(`${root}/`) ? host.slice(root.length) : host;
}

/** A path in a user's storage directory, where root leaves what a user owns. */
function inUserDir(protections: readonly Protection[], p: string): boolean {
  return protections.some((x) => x.scope === 'user-owned' && isWithin(p, x.path));
}

/**
 * Deletes the planned targets, one after the other; a target that fails is reported.
 * Invariant: a target is deleted only if, just before, no process holds any of it open and
 * the full check of `removeTreeSafe` passes (no mount, nothing unwalkable, nothing a user owns
 * in a user's storage directory); and of it only what the plan's check judged, unchanged:
 * whatever appears in it or changes after that check (a file a process creates or writes)
 * is left in place and reported. Deletion goes bottom-up, one unlink or rmdir at a time, and
 * renames nothing: if it stops at any point, every part left is at its own path, as whole as
 * it was, and the orphan is still listed under its name.
 */
export function carryOutPrune(
  plan: PrunePlan,
  root: string,
  mounts: readonly MountInfo[] = readMountInfo(),
): PruneResult {
  const result: PruneResult = { deleted: [], kept: [] };
  const step = stepCounter('prune'); // crash tests: a kill or stop at each deletion
  for (const t of plan.targets) {
    const busy = inUseBlocker(t.path, openersUnder(root, [hostPath(root, t.path)]));
    if (busy) {
      result.kept.push({ path: t.path, reason: busy.message });
      continue;
    }
    try {
      const { kept, ...removed } = removeTreeSafe(hostPath(root, t.path), {
        mounts,
        userOwned: t.userOwned,
        ...(plan.judged.has(t.path) ? { judged: plan.judged.get(t.path) } : {}),
        onRemoved: step,
      });
      result.deleted.push({ ...removed, path: t.path, store: t.store });
      for (const k of kept) result.kept.push({ path: systemPath(root, k.path), reason: k.reason });
    } catch (error) {
      result.kept.push({
        path: t.path,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return result;
}
