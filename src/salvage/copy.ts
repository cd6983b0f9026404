// Copying one salvaged file or link into the salvage, through descriptors: the source is
// opened by a verified path (no component may be a link: a link planted in an ephemeral
// tree never makes root copy what it points to), the copy is made under O_EXCL in the
// boot's private staging directory, given its owner, mode, times and extended attributes,
// and only then renamed to its place under `files/`; all are made durable (syncAll) before
// the record lists any. A copy that fails is removed: it is keepsake's own, unfinished, and
// the original is still in place.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as posix from 'node:path/posix';
import { hostPath } from '../core/paths.js';
import { KeepsakeError, SystemError } from '../errors.js';
import { loadBinding } from '../system/binding.js';
import { syncFs } from '../system/move-tree.js';
import { mkdirSafe, symlinkSafe, toSystemError, withVerifiedPath } from '../system/safe-fs.js';
import type { Candidate } from './candidates.js';
import type { SalvagedFile } from './record.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;
const CHUNK = 1 << 20;
/** A file still being written is copied again this many times, then left out. */
const ATTEMPTS = 3;

/** The deadline passed while copying. */
export class OutOfTime extends Error {}

/** A file that kept changing while it was copied. */
export class KeptChanging extends Error {}

export interface CopyPlaces {
  /** `--root`. */
  root: string;
  /** Host path of `<boot>/files`. */
  files: string;
  /** Host path of `<boot>/.staging`. */
  staging: string;
  deadline: number;
}

function sameVersion(a: fs.Stats, b: fs.Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

export class Copier {
  private readonly made = new Set<string>();
  private readonly touched = new Set<string>();
  private staged = 0;
  /** Why extended attributes could not be copied, once, if ever. */
  xattrProblem: string | undefined;

  constructor(private readonly at: CopyPlaces) {}

  /** The directories on the way to `path` under `files/`, each with its original's owner and mode. */
  private parents(path: string): void {
    const dirs: string[] = [];
    for (let d = posix.dirname(path); d !== '/' && !this.made.has(d); d = posix.dirname(d))
      dirs.unshift(d);
    for (const d of dirs) {
      const dest = `${this.at.files}${d}`;
      // Read through a verified path: a link planted on the way is refused, not followed.
      const st = withVerifiedPath(hostPath(this.at.root, d), 'directory', (_, st) => st);
      if (fs.lstatSync(dest, { throwIfNoEntry: false }) === undefined)
        mkdirSafe(dest, st.uid, st.gid, st.mode & 0o7777);
      this.made.add(d);
    }
  }

  copy(c: Candidate): SalvagedFile {
    this.parents(c.path);
    const done = c.type === 'file' ? this.copyFile(c) : this.copyLink(c);
    this.touched.add(posix.dirname(`${this.at.files}${c.path}`));
    return done;
  }

  private copyLink(c: Candidate): SalvagedFile {
    const host = hostPath(this.at.root, c.path);
    const { st, to } = withVerifiedPath(posix.dirname(host), 'directory', (dir) => {
      const entry = `${dir}/${posix.basename(host)}`;
      const st = fs.lstatSync(entry);
      if (!st.isSymbolicLink()) throw new KeptChanging('it is no longer a symbolic link');
      return { st, to: fs.readlinkSync(entry) };
    });
    const dest = `${this.at.files}${c.path}`;
    symlinkSafe(dest, to, st.uid, st.gid);
    withVerifiedPath(posix.dirname(dest), 'directory', (dir) =>
      fs.lutimesSync(`${dir}/${posix.basename(dest)}`, st.atime, st.mtime),
    );
    return record(c.path, st, Buffer.byteLength(to), 'link');
  }

  private copyFile(c: Candidate): SalvagedFile {
    const host = hostPath(this.at.root, c.path);
    // Reopened through the verified O_PATH descriptor: exactly the file that was checked.
    const src = withVerifiedPath(host, 'file', (proc) => fs.openSync(proc, O_RDONLY));
    const name = String(this.staged++);
    let dst: number | undefined;
    try {
      dst = withVerifiedPath(this.at.staging, 'directory', (dir) =>
        fs.openSync(`${dir}/${name}`, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600),
      );
      const st = copyContent(src, dst, c.path, this.at.deadline);
      this.xattrProblem ??= copyXattrs(src, dst);
      // Owner before mode: chown clears the set-id bits the mode may carry.
      fs.fchownSync(dst, st.uid, st.gid);
      fs.fchmodSync(dst, st.mode & 0o7777);
      fs.futimesSync(dst, st.atime, st.mtime);
      // Made durable with the rest by syncAll, before the record lists it.
      const dest = `${this.at.files}${c.path}`;
      withVerifiedPath(this.at.staging, 'directory', (from) =>
        withVerifiedPath(posix.dirname(dest), 'directory', (to) =>
          fs.renameSync(`${from}/${name}`, `${to}/${posix.basename(dest)}`),
        ),
      );
      return record(c.path, st, st.size, 'file');
    } catch (error) {
      // Only the unfinished copy goes; the original is untouched.
      if (dst !== undefined) {
        withVerifiedPath(this.at.staging, 'directory', (dir) =>
          fs.rmSync(`${dir}/${name}`, { force: true }),
        );
      }
      throw error;
    } finally {
      if (dst !== undefined) fs.closeSync(dst);
      fs.closeSync(src);
    }
  }

  /**
   * Every copy made durable, and every directory a copy was renamed into: one sync of the
   * store's file system (far cheaper than one fsync per file), then the directories.
   */
  syncAll(): void {
    syncFs(this.at.files);
    for (const dir of this.touched) {
      const fd = withVerifiedPath(dir, 'directory', (proc) =>
        fs.openSync(proc, O_RDONLY | O_DIRECTORY),
      );
      try {
        fs.fsyncSync(fd);
      } catch (error) {
        throw toSystemError(error, 'fsync', dir, 'sync directory');
      } finally {
        fs.closeSync(fd);
      }
    }
  }
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

function record(path: string, st: fs.Stats, size: number, type: 'file' | 'link'): SalvagedFile {
  return {
    path,
    size,
    mtime: st.mtime.toISOString(),
    uid: st.uid,
    gid: st.gid,
    mode: st.mode & 0o7777,
    type,
  };
}

/** Why a copy failed, for the record's `skipped`. */
export function skipReason(error: unknown): string {
  if (error instanceof OutOfTime) return 'not copied: the salvage ran out of time';
  if (error instanceof KeptChanging) return `not copied: ${error.message}`;
  if (error instanceof KeepsakeError && !(error instanceof SystemError))
    return `not copied: ${error.message}`;
  if (error instanceof SystemError) {
    if (error.errno === 'ENOSPC' || error.errno === 'EDQUOT')
      return `not copied: the store is full (${error.errno})`;
    if (error.errno === 'EROFS') return 'not copied: the store is read-only (EROFS)';
    return `not copied: ${error.message}`;
  }
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'not copied: it was removed before it could be copied';
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT')
    return `not copied: the store is full (${e.code})`;
  if (e?.code === 'EROFS') return 'not copied: the store is read-only (EROFS)';
  if (typeof e?.code === 'string') return `not copied: ${e.message}`;
  return `not copied: ${String(error)}`;
}
