// Copying one salvaged file or link into the salvage (system/copy-file.ts does the copying):
// the source is opened by a verified path (a link planted in an ephemeral tree never makes
// root copy what it points to); a file is copied under a new name in the boot's private
// staging directory, given its owner, mode, times and extended attributes, and only then
// renamed to its place under `files/`; all are made durable (syncAll) before the record
// lists any. A copy that fails is removed: it is keepsake's own, unfinished, and the
// original is still in place.

import type * as fs from 'node:fs';
import * as posix from 'node:path/posix';
import { hostPath } from '../core/paths.js';
import { KeepsakeError, SystemError } from '../errors.js';
import {
  copyFileNew,
  copyLinkNew,
  KeptChanging,
  OutOfTime,
  removeName,
  renameIn,
  syncDirectories,
} from '../system/copy-file.js';
import { syncFs } from '../system/move-tree.js';
import { lstatOrNull, mkdirSafe, withVerifiedPath } from '../system/safe-fs.js';
import type { Candidate } from './candidates.js';
import type { SalvagedFile } from './record.js';

export { KeptChanging, OutOfTime };

export interface CopyPlaces {
  /** `--root`. */
  root: string;
  /** Host path of `<boot>/files`. */
  files: string;
  /** Host path of `<boot>/.staging`. */
  staging: string;
  deadline: number;
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
      if (lstatOrNull(dest) === null) mkdirSafe(dest, st.uid, st.gid, st.mode & 0o7777);
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
    const dest = `${this.at.files}${c.path}`;
    // The link's own text, never what it points to; the original stays in place.
    const st = copyLinkNew(
      hostPath(this.at.root, c.path),
      posix.dirname(dest),
      posix.basename(dest),
    );
    return record(c.path, st, st.size, 'link');
  }

  private copyFile(c: Candidate): SalvagedFile {
    const name = String(this.staged++);
    // Made durable with the rest by syncAll, before the record lists it.
    const copied = copyFileNew(hostPath(this.at.root, c.path), this.at.staging, name, {
      deadline: this.at.deadline,
      sync: false,
      label: c.path,
    });
    this.xattrProblem ??= copied.xattrProblem;
    const dest = `${this.at.files}${c.path}`;
    // Only a finished copy takes its name under files/; one that cannot is removed (the
    // staging name is keepsake's own, and the original is in place).
    try {
      renameIn(this.at.staging, name, posix.dirname(dest), posix.basename(dest));
    } catch (error) {
      removeName(this.at.staging, name);
      throw error;
    }
    return record(c.path, copied.st, copied.st.size, 'file');
  }

  /**
   * Every copy made durable, and every directory a copy was renamed into: one sync of the
   * store's file system (far cheaper than one fsync per file), then the directories.
   */
  syncAll(): void {
    syncFs(this.at.files);
    syncDirectories(this.touched);
  }
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
