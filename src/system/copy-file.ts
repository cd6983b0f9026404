// Copying one regular file or symbolic link as root, between trees others may control, with
// its owner, mode, times and extended attributes. The source is opened through a verified
// path (no component may be a link: a link planted on its way is refused, never followed);
// the copy is a new name made under O_CREAT|O_EXCL|O_NOFOLLOW in a verified directory, so
// nothing that exists is ever written to. The content copied is of one version of the file:
// one that changes meanwhile is copied again, then given up on. A copy that fails is removed:
// it is the caller's own, unfinished, and the source is untouched.

import * as fs from 'node:fs';
import * as posix from 'node:path/posix';
import { loadBinding } from './binding.js';
import { symlinkSafe, toSystemError, withVerifiedPath } from './safe-fs.js';
import { spawnSync } from './spawn.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;
const CHUNK = 1 << 20;
/** A file still being written is copied again this many times, then left out. */
const ATTEMPTS = 3;

/** The deadline passed while copying. */
export class OutOfTime extends Error {}

/** A file that kept changing while it was copied (or is no longer what it was). */
export class KeptChanging extends Error {}

function sameVersion(a: fs.Stats, b: fs.Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** The content, whole and of one version: a file written to meanwhile is copied again. */
export function copyContent(src: number, dst: number, path: string, deadline: number): fs.Stats {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const before = fs.fstatSync(src);
    fs.ftruncateSync(dst, 0);
    let pos = 0;
    for (;;) {
      if (Date.now() > deadline) throw new OutOfTime(path);
      const n = fs.readSync(src, buf, 0, CHUNK, pos);
      if (n === 0) break;
      let off = 0;
      while (off < n) off += fs.writeSync(dst, buf, off, n - off, pos + off);
      pos += n;
    }
    const after = fs.fstatSync(src);
    if (sameVersion(before, after) && pos === after.size) return after;
  }
  throw new KeptChanging(`it kept changing while it was copied (${ATTEMPTS} attempts)`);
}

/**
 * Extended attributes, which Node cannot read: the addon copies them from descriptor to
 * descriptor; without it, cp(1) does, given the two descriptors as its fds 3 and 4, so
 * that no path is resolved again. Returns why they could not be copied, if they could not.
 */
export function copyXattrs(src: number, dst: number): string | undefined {
  const native = loadBinding().binding?.copyXattrs;
  if (native !== undefined) {
    try {
      native(src, dst);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
  const r = spawnSync(
    'cp',
    [
      '-L',
      '--attributes-only',
      '--preserve=xattr',
      '--no-preserve=mode,ownership,timestamps',
      '/proc/self/fd/3',
      '/proc/self/fd/4',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', src, dst], encoding: 'utf8' },
  );
  return r.status === 0
    ? undefined
    : (r.stderr || r.error?.message || 'cp failed').trim().split('\n')[0];
}

export interface FileCopy {
  /** The source as copied: owner, mode, times, size of the version kept. */
  st: fs.Stats;
  /** Why extended attributes could not be copied, if they could not. */
  xattrProblem?: string;
}

export interface CopyOptions {
  /** Stop (OutOfTime) past this time, ms since the epoch. */
  deadline?: number;
  /** fsync the copy before returning (else the caller syncs the file system at once). */
  sync: boolean;
  /** The path to name in errors. */
  label: string;
}

/**
 * Copies the regular file at `source` (a host path, verified) to the new name `name` in the
 * directory `dir` (verified). Owner before mode: chown clears the set-id bits the mode may
 * carry. Invariant: on any failure the new name is removed, and only it: it holds nothing
 * but this call's partial copy.
 */
export function copyFileNew(
  source: string,
  dir: string,
  name: string,
  opts: CopyOptions,
): FileCopy {
  // Reopened through the verified O_PATH descriptor: exactly the file that was checked.
  const src = withVerifiedPath(source, 'file', (proc) => fs.openSync(proc, O_RDONLY));
  let dst: number | undefined;
  try {
    dst = withVerifiedPath(dir, 'directory', (d) =>
      fs.openSync(`${d}/${name}`, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600),
    );
    const st = copyContent(src, dst, opts.label, opts.deadline ?? Number.POSITIVE_INFINITY);
    const xattrProblem = copyXattrs(src, dst);
    fs.fchownSync(dst, st.uid, st.gid);
    fs.fchmodSync(dst, st.mode & 0o7777);
    fs.futimesSync(dst, st.atime, st.mtime);
    if (opts.sync) fs.fsyncSync(dst);
    return { st, ...(xattrProblem !== undefined ? { xattrProblem } : {}) };
  } catch (error) {
    if (dst !== undefined) removeName(dir, name);
    throw error;
  } finally {
    if (dst !== undefined) fs.closeSync(dst);
    fs.closeSync(src);
  }
}

/**
 * Copies the symbolic link at `source` (its own text, never what it points to) to the new
 * name `name` in `dir`, with its owner and times. Refuses (KeptChanging) when `source` is no
 * longer a link.
 */
export function copyLinkNew(source: string, dir: string, name: string): fs.Stats {
  const { st, to } = withVerifiedPath(posix.dirname(source), 'directory', (d) => {
    const entry = `${d}/${posix.basename(source)}`;
    const st = fs.lstatSync(entry);
    if (!st.isSymbolicLink()) throw new KeptChanging('it is no longer a symbolic link');
    return { st, to: fs.readlinkSync(entry) };
  });
  symlinkSafe(`${dir}/${name}`, to, st.uid, st.gid);
  try {
    withVerifiedPath(dir, 'directory', (d) => fs.lutimesSync(`${d}/${name}`, st.atime, st.mtime));
  } catch (error) {
    removeName(dir, name); // the new link only: it is this call's
    throw error;
  }
  return st;
}

/** Renames `fromDir/from` to `toDir/to`, both directories verified (the same file system). */
export function renameIn(fromDir: string, from: string, toDir: string, to: string): void {
  withVerifiedPath(fromDir, 'directory', (f) =>
    withVerifiedPath(toDir, 'directory', (t) => fs.renameSync(`${f}/${from}`, `${t}/${to}`)),
  );
}

/**
 * Removes the name `name` of the verified directory `dir`: a file or a link itself, never
 * what a link points to. For the caller's own unfinished copies and temporary names only.
 */
export function removeName(dir: string, name: string): void {
  withVerifiedPath(dir, 'directory', (d) => fs.rmSync(`${d}/${name}`, { force: true }));
}

/** The renames into these directories made durable (a file system that cannot: EINVAL, skipped). */
export function syncDirectories(dirs: Iterable<string>): void {
  for (const dir of dirs) {
    const fd = withVerifiedPath(dir, 'directory', (proc) =>
      fs.openSync(proc, O_RDONLY | O_DIRECTORY),
    );
    try {
      fs.fsyncSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL')
        throw toSystemError(error, 'fsync', dir, 'sync directory');
    } finally {
      fs.closeSync(fd);
    }
  }
}
