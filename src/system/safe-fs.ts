// File operations for a root process acting on trees other users may control. Each path is
// opened with O_PATH|O_NOFOLLOW and accepted only if the kernel's view of the descriptor
// (/proc/self/fd/N) is exactly the path asked for, so no component can be a symlink. Work is
// then done through the descriptor (or its parent's), never by re-resolving the path.

import fs from 'node:fs';
import path from 'node:path';
import { describeErrno } from '../core/errno.js';
import { KeepsakeError, SystemError, UnsafePathError } from '../errors.js';
import { AtomicWriteError, replaceFile } from './atomic-write.js';
import type { FileContent } from './file-content.js';

const O_PATH = 0o10000000;
const { O_NOFOLLOW, O_DIRECTORY, O_CREAT, O_EXCL, O_WRONLY } = fs.constants;

export { describeErrno };

const FS_HINTS: Record<string, string> = {
  EACCES: 'keepsake needs to run as root',
  EPERM: 'keepsake needs to run as root',
  EEXIST: 'something already exists at this path; move it aside first',
  ENOSPC: 'the file system is full',
  EROFS: 'the file system is mounted read-only',
  ENOENT: 'a parent directory does not exist',
};

/** Turns an fs error into a SystemError naming the real path (never the /proc alias). */
export function toSystemError(error: unknown, syscall: string, target: string, action: string) {
  if (error instanceof KeepsakeError) return error;
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return error;
  return new SystemError(
    e.syscall ?? syscall,
    e.code,
    target,
    `cannot ${action} '${target}': ${describeErrno(e.code)} (${e.code})`,
    FS_HINTS[e.code],
  );
}

function refuse(target: string, link?: string): UnsafePathError {
  const where = link && link !== target ? ` (at '${link}')` : '';
  return new UnsafePathError(
    target,
    `a symbolic link was found in '${target}'${where}; keepsake refuses to follow it`,
    'keepsake acts as root on paths others may control; replace the link with a real directory or file, or remove it',
  );
}

/** A create that hit an existing entry: name a planted symlink as such. */
function createError(
  error: unknown,
  entry: string,
  target: string,
  syscall: string,
  action: string,
) {
  if ((error as NodeJS.ErrnoException).code === 'EEXIST' && lstatOrNull(entry)?.isSymbolicLink()) {
    return refuse(target, target);
  }
  return toSystemError(error, syscall, target, action);
}

/** First path prefix that is a symlink, for error messages only. */
function findSymlink(target: string): string | undefined {
  let prefix = '';
  for (const part of target.split('/').slice(1)) {
    prefix += `/${part}`;
    try {
      if (fs.lstatSync(prefix).isSymbolicLink()) return prefix;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function checkAbsolute(target: string): void {
  const normal = path.posix.normalize(target);
  if (!path.posix.isAbsolute(target) || normal !== target || /.\/$/.test(target)) {
    throw new UnsafePathError(target, `'${target}' is not an absolute, normalized path`);
  }
}

type Expect = 'directory' | 'file' | 'any';

/** Opens `openPath` (a real path or a /proc parent alias) and checks it is exactly `target`. */
function openVerified(openPath: string, target: string, expect: Expect) {
  let fd: number;
  try {
    fd = fs.openSync(openPath, O_PATH | O_NOFOLLOW | (expect === 'directory' ? O_DIRECTORY : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const link = code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENOENT';
    if (link && findSymlink(target)) throw refuse(target, findSymlink(target));
    throw toSystemError(error, 'open', target, 'open');
  }
  try {
    // Opened through a verified parent's descriptor with O_NOFOLLOW, the path is exact by
    // construction; otherwise ask the kernel where the descriptor really points.
    if (!openPath.startsWith('/proc/self/fd/')) {
      let real: string;
      try {
        real = fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch (error) {
        throw toSystemError(error, 'readlink', target, 'verify');
      }
      if (real !== target) throw refuse(target, findSymlink(target));
    }
    const st = fs.fstatSync(fd);
    if (st.isSymbolicLink()) throw refuse(target, target);
    if (expect === 'file' && !st.isFile()) {
      const code = st.isDirectory() ? 'EISDIR' : 'EINVAL';
      throw new SystemError('open', code, target, `'${target}' is not a regular file`);
    }
    return { fd, st };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/**
 * Verified directories kept open during one batch of operations (an apply), so a chain of
 * mkdirs and binds verifies each directory once. A descriptor stays pinned to the directory
 * that was verified; entries are dropped when that directory changes meaning: a mount on it,
 * an unmount, its removal, or a new owner or mode. At most VERIFIED_OPEN are kept, the oldest
 * closed first, so the descriptors an apply holds do not grow with its entries (a directory
 * closed here is verified again, from its path, when it is next needed). The plan visits
 * paths in order, so the directories it still needs are mostly the recent ones; keeping them
 * in order of verification rather than of use costs a few more opens and no reordering.
 */
interface Verified {
  fd: number;
  st: fs.Stats;
  /** Callers running with its alias right now: never closed under them. */
  inUse: number;
}

const VERIFIED_OPEN = 64;

/** In order of verification, oldest first (a Map keeps insertion order). */
let verifiedDirs: Map<string, Verified> | null = null;

export function withVerifiedDirCache<T>(fn: () => T): T {
  if (verifiedDirs) return fn();
  verifiedDirs = new Map();
  try {
    return fn();
  } finally {
    for (const { fd, inUse } of verifiedDirs.values()) if (inUse === 0) fs.closeSync(fd);
    verifiedDirs = null;
  }
}

/** Run `fn` with no shared descriptors: a large walk must not keep every directory open. */
export function withoutVerifiedDirCache<T>(fn: () => T): T {
  const saved = verifiedDirs;
  verifiedDirs = null;
  try {
    return fn();
  } finally {
    verifiedDirs = saved;
  }
}

/** Forget `target` and everything below it (it was mounted on, unmounted or removed). The
 *  cache is small (VERIFIED_OPEN and those in use), so it is searched whole. */
export function forgetVerified(target: string): void {
  if (!verifiedDirs) return;
  const below = target === '/' ? '/' : `${target}/`;
  for (const p of [...verifiedDirs.keys()]) {
    if (p === target || p.startsWith(below)) drop(p);
  }
}

function drop(target: string) {
  const v = verifiedDirs?.get(target);
  if (!v) return;
  verifiedDirs!.delete(target);
  // A caller still using it closes it when done (see release).
  if (v.inUse === 0) fs.closeSync(v.fd);
}

/** A cached verification of `target` (forgetVerified removes those no longer valid). */
function lookup(target: string): Verified | undefined {
  return verifiedDirs?.get(target);
}

/** Close the oldest descriptors no caller is using, down to VERIFIED_OPEN. */
function trim() {
  if (!verifiedDirs || verifiedDirs.size <= VERIFIED_OPEN) return;
  for (const [p, v] of verifiedDirs) {
    if (verifiedDirs.size <= VERIFIED_OPEN) return;
    if (v.inUse > 0) continue;
    fs.closeSync(v.fd);
    verifiedDirs.delete(p);
  }
}

/** A verified descriptor for `target`: from the cache, through a cached parent, or opened.
 *  A cached one is marked in use: `release` it when done. */
function acquire(
  target: string,
  expect: Expect,
): { fd: number; st: fs.Stats; owned: boolean; cached?: Verified } {
  const hit = expect === 'file' ? undefined : lookup(target);
  if (hit) {
    hit.inUse++;
    return { fd: hit.fd, st: hit.st, owned: false, cached: hit };
  }
  const parent = target === '/' ? undefined : lookup(path.posix.dirname(target));
  const openPath = parent ? `/proc/self/fd/${parent.fd}/${path.posix.basename(target)}` : target;
  const opened = openVerified(openPath, target, expect);
  if (verifiedDirs && opened.st.isDirectory() && expect !== 'file') {
    const old = verifiedDirs.get(target);
    if (old && old.inUse === 0) drop(target);
    else if (old) verifiedDirs.delete(target); // its users close it (see release)
    const v: Verified = { ...opened, inUse: 1 };
    verifiedDirs.set(target, v);
    trim();
    return { ...opened, owned: false, cached: v };
  }
  return { ...opened, owned: true };
}

/** Done with a descriptor from `acquire`: close it if it is no longer the cached one. */
function release(target: string, got: { fd: number; owned: boolean; cached?: Verified }) {
  if (got.owned) {
    fs.closeSync(got.fd);
    return;
  }
  const v = got.cached!;
  v.inUse--;
  if (v.inUse > 0) return;
  if (verifiedDirs?.get(target) !== v) fs.closeSync(v.fd);
  else trim();
}

/**
 * Runs `fn` with a /proc/self/fd alias of `target` once no component of it is a symlink. The
 * alias stays valid (and pinned to the same object) until `fn` returns.
 */
export function withVerifiedPath<T>(
  target: string,
  expect: Expect,
  fn: (procPath: string, st: fs.Stats) => T,
): T {
  checkAbsolute(target);
  const got = acquire(target, expect);
  try {
    return fn(`/proc/self/fd/${got.fd}`, got.st);
  } finally {
    release(target, got);
  }
}

/** Runs `fn` with the verified parent's alias and the final name. */
function withVerifiedParent<T>(
  target: string,
  fn: (parent: string, name: string, parentStat: fs.Stats) => T,
): T {
  checkAbsolute(target);
  if (target === '/') throw new UnsafePathError(target, "'/' has no parent directory");
  return withVerifiedPath(path.posix.dirname(target), 'directory', (parent, st) =>
    fn(parent, path.posix.basename(target), st),
  );
}

const S_ISGID = 0o2000;

let umaskCache: number | undefined;
const euid = process.geteuid?.();
const egid = process.getegid?.();

/** The process's umask. Reading it means setting it twice: done once per process. */
export function processUmask(): number {
  umaskCache ??= process.umask();
  return umaskCache;
}

/**
 * True when mkdir alone yields exactly `uid:gid mode`: we own it already, the umask keeps the
 * mode, and the parent has no set-group-id bit to pass on. Saves a verify, chown and chmod
 * for the common root-owned 0755 directory.
 */
function mkdirIsExact(uid: number, gid: number, mode: number, parentStat: fs.Stats): boolean {
  const umask = processUmask();
  return (
    uid === euid &&
    gid === egid &&
    (mode & ~0o777) === 0 &&
    (mode & umask) === 0 &&
    (parentStat.mode & S_ISGID) === 0
  );
}

/** Verifies the entry just created in a verified parent and acts on it through its fd. */
function withCreated<T>(parent: string, target: string, expect: Expect, fn: (p: string) => T): T {
  const { fd } = openVerified(`${parent}/${path.posix.basename(target)}`, target, expect);
  try {
    return fn(`/proc/self/fd/${fd}`);
  } finally {
    fs.closeSync(fd);
  }
}

export function mkdirSafe(target: string, uid: number, gid: number, mode: number): void {
  withVerifiedParent(target, (parent, name, parentStat) => {
    const exact = mkdirIsExact(uid, gid, mode, parentStat);
    try {
      // Otherwise private until owner and mode are final.
      fs.mkdirSync(`${parent}/${name}`, exact ? mode : 0o700);
    } catch (error) {
      throw createError(error, `${parent}/${name}`, target, 'mkdir', 'create directory');
    }
    if (exact) return;
    try {
      withCreated(parent, target, 'directory', (proc) => {
        try {
          fs.chownSync(proc, uid, gid);
          fs.chmodSync(proc, mode); // after chown, which may clear set-id bits; umask-proof
        } catch (error) {
          throw toSystemError(error, 'chown', target, 'set owner and mode of');
        }
      });
    } catch (error) {
      // Leave nothing half-made behind: the directory is new and still empty.
      fs.rmdirSync(`${parent}/${name}`);
      throw error;
    }
  });
}

/** Creates a new file (never an existing one) in a verified parent; written under O_EXCL. */
function writeNew(
  parent: string,
  name: string,
  target: string,
  content: string,
  set: (fd: number) => void,
) {
  const entry = `${parent}/${name}`;
  let fd: number;
  try {
    fd = fs.openSync(entry, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (error) {
    throw createError(error, entry, target, 'open', 'create file');
  }
  try {
    fs.writeFileSync(fd, content);
    set(fd);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(entry, { force: true });
    throw toSystemError(error, 'write', target, 'write');
  }
  fs.closeSync(fd);
}

export function createFileSafe(
  target: string,
  content: string,
  uid: number,
  gid: number,
  mode: number,
): void {
  withVerifiedParent(target, (parent, name) =>
    writeNew(parent, name, target, content, (fd) => {
      fs.fchownSync(fd, uid, gid);
      fs.fchmodSync(fd, mode);
    }),
  );
}

export function symlinkSafe(target: string, to: string, uid: number, gid: number): void {
  withVerifiedParent(target, (parent, name) => {
    const entry = `${parent}/${name}`;
    try {
      fs.symlinkSync(to, entry);
    } catch (error) {
      throw createError(error, entry, target, 'symlink', 'create symbolic link');
    }
    let fd: number;
    try {
      fd = fs.openSync(entry, O_PATH | O_NOFOLLOW);
    } catch (error) {
      throw toSystemError(error, 'open', target, 'open');
    }
    try {
      if (!fs.fstatSync(fd).isSymbolicLink()) {
        throw new UnsafePathError(target, `'${target}' was replaced while keepsake created it`);
      }
      // chown through an O_PATH descriptor of a symlink changes the link itself.
      fs.chownSync(`/proc/self/fd/${fd}`, uid, gid);
    } catch (error) {
      if (!(error instanceof UnsafePathError)) fs.unlinkSync(entry); // the link is ours
      throw toSystemError(error, 'lchown', target, 'set owner of');
    } finally {
      fs.closeSync(fd);
    }
  });
}

export function chownSafe(target: string, uid: number, gid: number): void {
  withVerifiedPath(target, 'any', (proc) => {
    try {
      fs.chownSync(proc, uid, gid);
    } catch (error) {
      throw toSystemError(error, 'chown', target, 'set owner of');
    }
  });
  forgetVerified(target); // its cached stat is stale now
}

export function chmodSafe(target: string, mode: number): void {
  withVerifiedPath(target, 'any', (proc) => {
    try {
      fs.chmodSync(proc, mode);
    } catch (error) {
      throw toSystemError(error, 'chmod', target, 'set mode of');
    }
  });
  forgetVerified(target); // its cached stat is stale now
}

/** Replaces `target` with a new root-owned file: temp file, fsync, rename, fsync directory. */
export function writeFileAtomicSafe(
  target: string,
  content: FileContent,
  mode: number,
  beforeRename?: () => void,
): void {
  withVerifiedParent(target, (parent, name) => {
    const existing = lstatOrNull(`${parent}/${name}`);
    if (existing?.isSymbolicLink()) throw refuse(target, target);
    try {
      replaceFile(parent, name, content, beforeRename ? { mode, beforeRename } : { mode });
    } catch (thrown) {
      if (!(thrown instanceof AtomicWriteError)) throw thrown;
      const { step, error } = thrown;
      if (step === 'open')
        throw createError(error, `${parent}/${name}`, target, 'open', 'create file');
      if (step === 'fsync')
        throw toSystemError(error, 'fsync', path.posix.dirname(target), 'sync directory');
      throw toSystemError(error, step, target, step === 'rename' ? 'replace' : 'write');
    }
  });
}

/** lstat, with a missing path (or a non-directory parent) as null. */
export function lstatOrNull(target: string): fs.Stats | null {
  try {
    return fs.lstatSync(target, { throwIfNoEntry: false }) ?? null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw toSystemError(error, 'lstat', target, 'inspect');
  }
}
