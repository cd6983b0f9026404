// One keepsake at a time per root: an exclusive lock on <root>/run/keepsake/lock, held for the
// whole observe-plan-execute cycle. The file names its holder, for the message another
// keepsake prints. The kernel drops the lock if the process dies, so it is never stale.
//
// The lock always exists. A root without /run (an install into /mnt, a chroot) gets one, made
// as every distribution ships it (root, 0755): an apply writes its record under it anyway, and
// the lock must stay in one place while that happens, or a second keepsake started meanwhile
// would lock a different file. Only when <root>/run cannot be made (a read-only root) does the
// lock move to the running system's /run, named by the root's device and inode.

import * as fs from 'node:fs';
import { hostPath } from '../core/paths.js';
import { LockedError, SystemError, UnsafePathError } from '../errors.js';
import { LOCK_EX, LOCK_NB, LOCK_UN, type MountBinding } from './binding.js';
import { fileLock, lockError, plantedOr } from './lock-file.js';
import { lstatOrNull, mkdirSafe, withVerifiedPath } from './safe-fs.js';

export interface Lock {
  /** Where the lock is. */
  readonly path: string;
  /** Something the user should know about where the lock is (it had to be made or moved). */
  readonly notice?: string;
  release(): void;
}

/** The lock of a root that has no /run of its own and cannot be given one. */
export const FALLBACK_LOCK_DIR = '/run/keepsake/roots';

/**
 * Take the lock, or throw LockedError naming the holder. Without the native addon (no
 * flock), a lock file created with O_EXCL stands in (see lock-file.ts).
 */
export function acquireLock(root: string, binding: MountBinding | null, what: string): Lock {
  const holder = `pid ${process.pid} (keepsake ${what}, since ${new Date().toISOString()})`;
  const { dir, name, notice, fallback: inFallback } = lockPlace(root);
  const take = (d: string, n: string) =>
    binding ? flockLock(d, n, binding, holder, root) : fileLock(d, `${n}.pid`, holder, root);
  const lock = take(dir, name);
  // A root given its /run while a keepsake held the fallback lock: that one still counts.
  if (!inFallback) {
    const fallback = fallbackName(root);
    if (fallback && fallbackLockSeen(`${FALLBACK_LOCK_DIR}/${fallback}${binding ? '' : '.pid'}`)) {
      try {
        const other = take(FALLBACK_LOCK_DIR, fallback);
        return both(lock, other, notice);
      } catch (e) {
        lock.release();
        throw e;
      }
    }
  }
  return notice ? { ...lock, notice, release: () => lock.release() } : lock;
}

function both(first: Lock, second: Lock, notice: string | undefined): Lock {
  return {
    path: first.path,
    ...(notice ? { notice } : {}),
    release() {
      second.release();
      first.release();
    },
  };
}

/** `<root>/run/keepsake`, making `<root>/run` when missing; the fallback when it cannot be. */
interface Place {
  dir: string;
  name: string;
  notice?: string;
  /** In the running system's /run, not the root's. */
  fallback: boolean;
}

function lockPlace(root: string): Place {
  const run = hostPath(root, '/run');
  let notice: string | undefined;
  if (!lstatOrNull(run)) {
    try {
      mkdirSafe(run, 0, 0, 0o755);
      notice = `${run} was missing: made it (root, 0755) to hold keepsake's lock and records`;
    } catch (e) {
      if (e instanceof UnsafePathError) throw e;
      // Another keepsake made it a moment ago: then it is there for this one too.
      if (!(e instanceof SystemError && e.errno === 'EEXIST')) return fallbackPlace(root, run, e);
    }
  }
  const dir = `${run}/keepsake`;
  if (!lstatOrNull(dir)) {
    try {
      mkdirSafe(dir, 0, 0, 0o700);
    } catch (e) {
      if (!(e instanceof SystemError && e.errno === 'EEXIST')) throw lockError(e, dir);
    }
  }
  return { dir, name: 'lock', fallback: false, ...(notice ? { notice } : {}) };
}

function fallbackPlace(root: string, run: string, why: unknown): Place {
  const name = fallbackName(root);
  const reason = why instanceof Error ? why.message : String(why);
  if (!name || !lstatOrNull('/run')?.isDirectory()) {
    throw new SystemError(
      'mkdir',
      why instanceof SystemError ? why.errno : 'ENOENT',
      run,
      `no place for keepsake's lock on ${root}: ${reason}, and this system has no /run either`,
      `create ${run} (a directory, root's, mode 0755), then run this again`,
    );
  }
  for (const d of ['/run/keepsake', FALLBACK_LOCK_DIR]) {
    if (lstatOrNull(d)) continue;
    try {
      mkdirSafe(d, 0, 0, 0o700);
    } catch (e) {
      if (!(e instanceof SystemError && e.errno === 'EEXIST')) throw lockError(e, d);
    }
  }
  return {
    dir: FALLBACK_LOCK_DIR,
    name,
    fallback: true,
    notice: `${run} is missing and cannot be made (${reason}): the lock for ${root} is ${FALLBACK_LOCK_DIR}/${name}`,
  };
}

/** `dev-ino` of the root directory: the same root under any path, bind or chroot. */
/**
 * Whether a fallback lock exists for this root. A keepsake in a user namespace (unshare
 * --map-root-user) may not look into the running system's /run/keepsake, which is root's
 * alone: it could never have put a lock there, so none it can see counts.
 */
function fallbackLockSeen(path: string): boolean {
  try {
    return lstatOrNull(path) !== null;
  } catch (e) {
    if (e instanceof SystemError && (e.errno === 'EACCES' || e.errno === 'EPERM')) return false;
    throw e;
  }
}

function fallbackName(root: string): string | undefined {
  const st = lstatOrNull(root);
  return st ? `${st.dev}-${st.ino}` : undefined;
}

function flockLock(
  dir: string,
  name: string,
  binding: MountBinding,
  holder: string,
  root: string,
): Lock {
  const path = `${dir}/${name}`;
  let fd: number;
  try {
    fd = withVerifiedPath(dir, 'directory', (d) =>
      fs.openSync(
        `${d}/${name}`,
        fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW,
        0o600,
      ),
    );
  } catch (e) {
    throw plantedOr(e, path);
  }
  // Opened without following, but it may still be a fifo or a device planted there.
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new UnsafePathError(
      path,
      `'${path}' is not a regular file; keepsake refuses to use it as its lock`,
      `remove it (rm '${path}'); keepsake makes the file itself`,
    );
  }
  try {
    binding.flock(fd, LOCK_EX | LOCK_NB);
  } catch (e) {
    const held = fs.readFileSync(fd, 'utf8').trim() || 'a process that did not say who it is';
    fs.closeSync(fd);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EWOULDBLOCK' || code === 'EAGAIN') throw new LockedError(root, held);
    throw lockError(e, path);
  }
  // The holder's name is only for another keepsake's message: a /run with no room left for
  // it (ENOSPC) must not cost the lock, which is held from here on, nor leave it held.
  try {
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, `${holder}\n`, 0);
  } catch {
    // Another keepsake says "a process that did not say who it is".
  }
  return {
    path,
    release() {
      fs.ftruncateSync(fd, 0);
      binding.flock(fd, LOCK_UN);
      fs.closeSync(fd);
    },
  };
}

/** What a lock held by one process at a time says when it cannot be had. */
export interface FlockRefusals {
  /** Another process holds it. */
  busy: () => Error;
  /** The lock file cannot be opened or made. */
  cannotOpen: (error: unknown) => unknown;
}

/**
 * Run `fn` holding an exclusive flock(2) on `path`, a file made (0600) when missing and never
 * opened through a link. The kernel drops the lock if the process dies, so it is never stale.
 */
export function withExclusiveFlock<T>(
  binding: MountBinding,
  path: string,
  refuse: FlockRefusals,
  fn: () => T,
): T {
  const { O_RDWR, O_CREAT, O_NOFOLLOW } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0o600);
  } catch (e) {
    throw refuse.cannotOpen(e);
  }
  try {
    try {
      binding.flock(fd, LOCK_EX | LOCK_NB);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EWOULDBLOCK' || code === 'EAGAIN') throw refuse.busy();
      throw e;
    }
    try {
      return fn();
    } finally {
      binding.flock(fd, LOCK_UN);
    }
  } finally {
    fs.closeSync(fd);
  }
}
