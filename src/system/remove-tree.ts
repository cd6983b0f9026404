// Deleting a tree as root without ever following a symbolic link or leaving the file system.
// Every directory is opened through a verified descriptor (safe-fs `withVerifiedPath`), must
// sit on the same mount as the tree's parent (st_dev, the descriptor's mnt_id, and the mount
// table), and its entries are removed through `/proc/self/fd/<dirfd>/<name>`: unlink and
// rmdir never follow the last component, so a link planted anywhere is removed as a link.
// The whole tree is checked before the first deletion; a mount inside it is a refusal.
// The check is also the judgement: it records what it saw of every entry, and the deletion
// removes only entries still as judged (see `Judgement`).

import * as fs from 'node:fs';
import { describeErrno } from '../core/errno.js';
import { topMountAt } from '../core/mount-table.js';
import { baseName, childPath, parentOf } from '../core/paths.js';
import { KeepsakeError, PathError, UsageError } from '../errors.js';
import type { MountInfo } from '../model/observed.js';
import { kindOf, type NodeKind } from './file-kind.js';
import { readMountInfo } from './mountinfo.js';
import { withVerifiedPath } from './safe-fs.js';

/** Store data that prune will not delete; nothing was deleted. */
export class PruneRefusedError extends PathError {
  readonly code = 'prune-refused';
}

export interface TreeCounts {
  /** Everything that is not a directory (files, links, others). */
  files: number;
  directories: number;
  /** lstat sizes of everything that is not a directory. */
  bytes: number;
}

export interface TreeCheck extends TreeCounts {
  path: string;
  kind: NodeKind;
  /** What was seen of every entry, for `removeTreeSafe`'s `judged`. */
  judgement: Judgement;
  /** Mount points found at or inside it (never entered). */
  mounts: string[];
  /** What could not be walked, and why. */
  problems: Array<{ path: string; reason: string }>;
}

export interface Removal extends TreeCounts {
  path: string;
  kind: NodeKind;
  /** The target itself is gone (false when anything in it was kept). */
  complete: boolean;
  /** What was left in place (a mount that appeared, an error), and why. */
  kept: Array<{ path: string; reason: string }>;
}

/**
 * What the check saw of every entry of a tree, by path: the deletion removes an entry only if
 * it is still the same object, unchanged. A directory is kept by identity (its own deletions
 * change its times); anything else by identity, size and modification time, and its change
 * time when it has a single name (removing one name of a hard link changes the others').
 */
export type Judgement = Map<string, string>;

function judgementKey(st: fs.BigIntStats): string {
  const id = `${st.dev}:${st.ino}:${st.mode & 0o170000n}`;
  if (st.isDirectory()) return id;
  return `${id}:${st.size}:${st.mtimeNs}|${st.nlink === 1n ? st.ctimeNs : '-'}`;
}

/** Still as judged: a change time judged with several names is not compared (see above). */
function asJudged(judged: string | undefined, now: string): boolean {
  if (judged === undefined || judged === now) return judged !== undefined;
  const bar = judged.lastIndexOf('|');
  return bar > 0 && judged.endsWith('|-') && now.startsWith(judged.slice(0, bar + 1));
}

interface Walk extends TreeCounts {
  remove: boolean;
  /** Checking: filled with what was seen (when `judging`). Removing: only what matches is
   *  removed. */
  judgement: Judgement;
  judging: boolean;
  /** Called after each unlink or rmdir. */
  onRemoved: (() => void) | undefined;
  /** Keep whatever is not root's (in a user's storage directory). */
  userOwned: boolean;
  mounts: readonly MountInfo[];
  dev: number;
  mountId: number | undefined;
  mountsFound: string[];
  problems: Array<{ path: string; reason: string }>;
}

/** The mount id of the object behind a `/proc/self/fd/N` alias (from fdinfo). */
function mountIdOf(procPath: string): number | undefined {
  const fd = procPath.slice(procPath.lastIndexOf('/') + 1);
  try {
    const m = /^mnt_id:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof KeepsakeError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${describeErrno(code)} (${code})` : String(error);
}

/** Walks the directory `dir` (and, when removing, empties it); true when all of it went. */
function walkDir(dir: string, w: Walk): boolean {
  return withVerifiedPath(dir, 'directory', (proc, st) => {
    const mountId = w.mountId === undefined ? undefined : mountIdOf(proc);
    if (st.dev !== w.dev || mountId !== w.mountId || topMountAt(w.mounts, dir)) {
      w.mountsFound.push(dir);
      return false;
    }
    let names: string[];
    try {
      names = fs.readdirSync(proc);
    } catch (error) {
      w.problems.push({ path: dir, reason: `cannot be listed: ${reasonOf(error)}` });
      return false;
    }
    let all = true;
    for (const name of names) if (!walkEntry(proc, dir, name, w)) all = false;
    return all;
  });
}

const APPEARED = 'it appeared after prune checked the tree, so it was not judged; left in place';
const REPLACED =
  'it is no longer the directory prune checked (replaced, or a file system mounted there); not entered, left in place';

/**
 * A directory emptied of all it held when it was read, yet not empty: names what appeared in
 * it since (listing only, nothing is followed or changed). False when nothing new is there.
 */
function appearedIn(alias: string, dir: string, w: Walk): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(alias);
  } catch {
    return false;
  }
  const fresh = names.map((n) => childPath(dir, n)).filter((p) => !w.judgement.has(p));
  for (const p of fresh) w.problems.push({ path: p, reason: APPEARED });
  return fresh.length > 0;
}

/** One entry of a verified directory; true when it is gone (or, checking, fully walkable). */
function walkEntry(parentProc: string, parent: string, name: string, w: Walk): boolean {
  const path = childPath(parent, name);
  const alias = `${parentProc}/${name}`;
  let st: fs.BigIntStats | fs.Stats;
  try {
    // Nanosecond times only where a judgement is made or compared.
    st = w.remove || w.judging ? fs.lstatSync(alias, { bigint: true }) : fs.lstatSync(alias);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true; // already gone
    w.problems.push({ path, reason: reasonOf(error) });
    return false;
  }
  if (!w.remove) {
    if (w.judging) w.judgement.set(path, judgementKey(st as fs.BigIntStats));
  } else {
    const key = judgementKey(st as fs.BigIntStats);
    // Invariant: only what the check judged is deleted. An entry that appeared since (a
    // file a process created) or changed since (written to, replaced) was never judged to
    // be an orphan's: it stays, and so does every directory on the way to it.
    const judged = w.judgement.get(path);
    const same = asJudged(judged, key);
    if (!same && st.isDirectory()) {
      // Never entered: a file system mounted there since, or another directory put there.
      if (Number(st.dev) !== w.dev) w.mountsFound.push(path);
      else w.problems.push({ path, reason: REPLACED });
      return false;
    }
    if (!same) {
      w.problems.push({
        path,
        reason:
          judged === undefined
            ? APPEARED
            : 'it changed after prune checked the tree, so it was not judged; left in place',
      });
      return false;
    }
  }
  // In a user's storage directory, what a user owns is theirs to delete, not root's.
  if (w.userOwned && Number(st.uid) !== 0) {
    w.problems.push({
      path,
      reason: `belongs to uid ${st.uid}, in a user's storage directory, and root does not delete a user's data`,
    });
    return false;
  }
  if (st.isDirectory()) {
    let emptied: boolean;
    try {
      emptied = walkDir(path, w);
    } catch (error) {
      w.problems.push({ path, reason: reasonOf(error) });
      return false;
    }
    if (!emptied) {
      if (w.remove) appearedIn(alias, path, w); // named too, though it stays anyway
      return false;
    }
    if (w.remove) {
      try {
        fs.rmdirSync(alias); // fails, keeping it, if anything appeared in it since
      } catch (error) {
        if (!appearedIn(alias, path, w)) {
          w.problems.push({ path, reason: `cannot remove the directory: ${reasonOf(error)}` });
        }
        return false;
      }
      w.onRemoved?.();
    }
    w.directories++;
    return true;
  }
  if (w.remove) {
    try {
      fs.unlinkSync(alias); // removes a link itself, never what it points to
    } catch (error) {
      w.problems.push({ path, reason: `cannot remove: ${reasonOf(error)}` });
      return false;
    }
    w.onRemoved?.();
  }
  w.files++;
  w.bytes += Number(st.size);
  return true;
}

function walkTree(
  target: string,
  remove: boolean,
  mounts: readonly MountInfo[],
  userOwned: boolean,
  how: { judgement?: Judgement; judging?: boolean; onRemoved?: (() => void) | undefined } = {},
) {
  if (target === '/' || parentOf(target) === target) {
    throw new UsageError(`refusing to delete '${target}'`);
  }
  return withVerifiedPath(parentOf(target), 'directory', (parentProc, parentSt) => {
    const w: Walk = {
      remove,
      judgement: how.judgement ?? new Map(),
      judging: how.judging === true,
      onRemoved: how.onRemoved,
      userOwned,
      mounts,
      dev: parentSt.dev,
      mountId: mountIdOf(parentProc),
      files: 0,
      directories: 0,
      bytes: 0,
      mountsFound: [],
      problems: [],
    };
    const st = fs.lstatSync(`${parentProc}/${baseName(target)}`, { throwIfNoEntry: false });
    if (!st) {
      throw new PruneRefusedError(target, `'${target}' does not exist`);
    }
    const gone = walkEntry(parentProc, parentOf(target), baseName(target), w);
    return { w, kind: kindOf(st), gone };
  });
}

function countsOf(
  path: string,
  kind: NodeKind,
  w: TreeCounts,
): TreeCounts & { path: string; kind: NodeKind } {
  return { path, kind, files: w.files, directories: w.directories, bytes: w.bytes };
}

/**
 * Everything `removeTreeSafe` would delete, checked and counted; changes nothing. With
 * `judge` (the default), what was seen of each entry is recorded in `judgement`.
 */
export function inspectTree(
  target: string,
  mounts: readonly MountInfo[] = readMountInfo(),
  opts: { userOwned?: boolean; judge?: boolean } = {},
): TreeCheck {
  const { w, kind } = walkTree(target, false, mounts, opts.userOwned === true, {
    judging: opts.judge !== false,
  });
  return {
    ...countsOf(target, kind, w),
    judgement: w.judgement,
    mounts: w.mountsFound,
    problems: w.problems,
  };
}

/**
 * Deletes `target` (a file, link or directory tree) without following links or crossing
 * mounts. Refuses, deleting nothing, when the check finds a mount or a part it cannot walk
 * (with `userOwned`, a part root does not own).
 * Only what the check judged is deleted (`judged`: an earlier check's judgement, such as
 * the one a person was shown; else this call's own check). Should something change between
 * the check and the deletion (a mount appears, a file is created or written), that part is
 * left in place and reported in `kept`.
 */
export function removeTreeSafe(
  target: string,
  opts: {
    mounts?: readonly MountInfo[];
    userOwned?: boolean;
    judged?: Judgement;
    /** Called after each unlink or rmdir. */
    onRemoved?: () => void;
  } = {},
): Removal {
  const mounts = opts.mounts ?? readMountInfo();
  const userOwned = opts.userOwned === true;
  const check = inspectTree(target, mounts, { userOwned, judge: opts.judged === undefined });
  const mount = check.mounts[0];
  if (mount !== undefined) {
    throw new PruneRefusedError(
      target,
      mount === target
        ? `refusing to delete '${target}': a file system is mounted there`
        : `refusing to delete '${target}': a file system is mounted inside it at '${mount}'`,
      'prune never crosses a mount point; unmount it first',
    );
  }
  const problem = check.problems[0];
  if (problem) {
    throw new PruneRefusedError(
      target,
      `refusing to delete '${target}': '${problem.path}' ${problem.reason}`,
    );
  }
  const judged = opts.judged ?? check.judgement;
  const { w, kind, gone } = walkTree(target, true, mounts, userOwned, {
    judgement: judged,
    onRemoved: opts.onRemoved,
  });
  return {
    ...countsOf(target, kind, w),
    complete: gone,
    kept: [
      ...w.mountsFound.map((path) => ({ path, reason: 'a file system is mounted there' })),
      ...w.problems,
    ],
  };
}
