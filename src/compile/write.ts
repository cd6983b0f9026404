// Where compiled files go, and whether keepsake may put them there: the one module of
// src/compile that looks at the file system. The writing itself is src/system's (atomic-dir.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeErrno } from '../core/errno.js';
import { SystemError, UsageError } from '../errors.js';
import { replaceDirectory, replaceEntries } from '../system/atomic-dir.js';
import { AtomicWriteError } from '../system/atomic-write.js';
import { GENERATED_MARK } from './service.js';
import type { CompiledFile } from './types.js';

/** Marks an output directory as keepsake's, so a later compile may replace it. */
export const MARKER = '.keepsake-compiled';

/** What to do when the file system holding `dir` refuses the output. */
function hintOf(code: string, dir: string): string | undefined {
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return `make room on the file system holding ${dir} (df -h ${path.dirname(dir)}), then run this again`;
  if (code === 'EROFS')
    return `remount the file system holding ${dir} read-write, or name a directory on a writable one`;
  return undefined;
}

/**
 * Node's error, or replaceFile's, as one that names the directory the user named (not the
 * sibling keepsake was writing when it failed), the errno, and the call that met it.
 */
function systemError(thrown: unknown, dir: string): unknown {
  const e = (thrown instanceof AtomicWriteError ? thrown.error : thrown) as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return thrown;
  const syscall = e.syscall ?? 'write';
  const at = e.path ?? dir;
  // keepsake's own temporary names (DIR.keepsake-new-PID, a unit's .NAME.PID.X.tmp) are gone
  // by now: the directory the user named stands for them.
  const ours =
    at === dir ||
    at.startsWith(`${dir}.keepsake-`) ||
    (thrown instanceof AtomicWriteError && path.basename(at) === thrown.temp);
  const where = ours ? '' : `; ${syscall} ${at}`;
  return new SystemError(
    syscall,
    e.code,
    dir,
    `cannot write ${dir}: ${describeErrno(e.code)} (${e.code}${where})`,
    hintOf(e.code, dir),
  );
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Replace OUTDIR with `files`: written into a sibling directory first, then swapped in by
 * rename, so OUTDIR never holds half an output. Refuses a non-empty OUTDIR that keepsake did
 * not make (it has no MARKER).
 */
export function writeOutputDir(
  outdir: string,
  files: readonly CompiledFile[],
  marker: string,
): string {
  const dir = path.resolve(outdir);
  const st = lstatOrUndefined(dir);
  if (st?.isSymbolicLink())
    throw new UsageError(`${dir} is a symbolic link`, 'name the directory itself');
  if (st && !st.isDirectory()) throw new UsageError(`${dir} exists and is not a directory`);
  if (st && fs.readdirSync(dir).length > 0 && !fs.existsSync(path.join(dir, MARKER)))
    throw new UsageError(
      `${dir} is not empty and was not written by keepsake compile; refusing to replace it`,
      'name a new or empty directory',
    );
  try {
    // Only keepsake's own output is replaced (it has MARKER): compiling again rewrites it.
    replaceDirectory(dir, { entries: [...files, { path: MARKER, content: marker }], mode: 0o755 });
  } catch (e) {
    throw systemError(e, dir);
  }
  return dir;
}

/**
 * Put `files` into a unit directory that others share (/etc/systemd/system): each file
 * replaced by rename, each link made anew. A file keepsake did not generate, or anything but
 * a link where a link goes, is left alone and stops the install before anything is written.
 */
export function installIntoUnitDir(unitDir: string, files: readonly CompiledFile[]): string[] {
  const dir = path.resolve(unitDir);
  for (const f of files) {
    const at = path.join(dir, f.path);
    const st = lstatOrUndefined(at);
    if (!st) continue;
    const ours =
      f.symlink !== undefined
        ? st.isSymbolicLink()
        : st.isFile() && fs.readFileSync(at, 'utf8').startsWith(GENERATED_MARK);
    if (!ours)
      throw new UsageError(
        `${at} exists and was not written by keepsake; refusing to replace it`,
        'move it aside, or name another directory with --unit-dir',
      );
  }
  try {
    return replaceEntries(dir, files);
  } catch (e) {
    throw systemError(e, dir);
  }
}
