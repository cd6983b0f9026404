// Writes compiled files to disk: the one module of src/compile that touches the file system.
// It writes only where the administrator says, with plain fs calls.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemError, UsageError } from '../errors.js';
import { GENERATED_MARK } from './service.js';
import type { CompiledFile } from './types.js';

/** Marks an output directory as keepsake's, so a later compile may replace it. */
export const MARKER = '.keepsake-compiled';

function step<T>(syscall: string, at: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new SystemError(syscall, code, at, `${syscall} ${at}: ${(e as Error).message}`);
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function writeInto(dir: string, files: readonly CompiledFile[]) {
  for (const f of files) {
    const at = path.join(dir, f.path);
    step('mkdir', path.dirname(at), () => fs.mkdirSync(path.dirname(at), { recursive: true }));
    if (f.symlink !== undefined) step('symlink', at, () => fs.symlinkSync(f.symlink!, at));
    else {
      step('write', at, () => fs.writeFileSync(at, f.content));
      // The umask must not make a unit unreadable to systemd.
      step('chmod', at, () => fs.chmodSync(at, 0o644));
    }
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
  const tmp = `${dir}.keepsake-new-${process.pid}`;
  const old = `${dir}.keepsake-old-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  step('mkdir', path.dirname(dir), () => fs.mkdirSync(path.dirname(dir), { recursive: true }));
  try {
    step('mkdir', tmp, () => fs.mkdirSync(tmp, { mode: 0o755 }));
    step('chmod', tmp, () => fs.chmodSync(tmp, 0o755));
    writeInto(tmp, [...files, { path: MARKER, content: marker }]);
    if (st) step('rename', dir, () => fs.renameSync(dir, old));
    try {
      step('rename', tmp, () => fs.renameSync(tmp, dir));
    } catch (e) {
      if (st) fs.renameSync(old, dir);
      throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
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
  const written: string[] = [];
  for (const f of files) {
    const at = path.join(dir, f.path);
    const tmp = `${at}.keepsake-new-${process.pid}`;
    step('mkdir', path.dirname(at), () => fs.mkdirSync(path.dirname(at), { recursive: true }));
    try {
      if (f.symlink !== undefined) step('symlink', tmp, () => fs.symlinkSync(f.symlink!, tmp));
      else {
        step('write', tmp, () => fs.writeFileSync(tmp, f.content));
        step('chmod', tmp, () => fs.chmodSync(tmp, 0o644));
      }
      step('rename', at, () => fs.renameSync(tmp, at));
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    written.push(at);
  }
  return written;
}
