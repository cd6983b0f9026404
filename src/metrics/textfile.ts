// Writing `DIR/keepsake.prom` so that node_exporter never reads half of it: the text goes to a
// temporary file in DIR (hidden, not ending in .prom, so the collector skips it), is synced,
// and is renamed over the old file; then DIR is synced. A reader sees the old file or the new
// one, and a kill at any point leaves one of them whole. DIR is opened through the verified
// descriptor of safe-fs: no component of it may be a link, and neither may keepsake.prom.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UnsafePathError } from '../errors.js';
import { lstatOrNull, mkdirSafe, toSystemError, withVerifiedPath } from '../system/safe-fs.js';

export const TEXTFILE = 'keepsake.prom';
const TEMP = /^\.keepsake\.prom\.(\d+)\.[0-9a-f]{8}\.tmp$/;
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;

export interface WriteOptions {
  /** Wait this long between writing the temporary file and renaming it (tests only). */
  pauseMs?: number;
}

/** Create DIR and its missing parents, 0755, as the running user. */
function ensureDir(dir: string) {
  const missing: string[] = [];
  for (let d = dir; d !== '/' && !lstatOrNull(d); d = path.posix.dirname(d)) missing.unshift(d);
  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  for (const d of missing) mkdirSafe(d, uid, gid, 0o755);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporary files of writers that died before renaming. Invariant: only files of
 * keepsake's own temporary name, regular files, whose writer is gone; what they hold is a copy
 * of figures recomputed at every run, never renamed into place, so nothing is lost.
 */
function clearDeadTemps(proc: string) {
  for (const name of fs.readdirSync(proc)) {
    const m = TEMP.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    if (lstatOrNull(`${proc}/${name}`)?.isFile()) fs.rmSync(`${proc}/${name}`, { force: true });
  }
}

function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Replace `dir/keepsake.prom` with `text`, atomically, mode 0644. Returns the path written. */
export function writeTextfile(dir: string, text: string, options: WriteOptions = {}): string {
  const target = `${dir}/${TEXTFILE}`;
  ensureDir(dir);
  withVerifiedPath(dir, 'directory', (proc) => {
    clearDeadTemps(proc);
    const existing = lstatOrNull(`${proc}/${TEXTFILE}`);
    // The rename below would replace a link, not follow it; a link there was still planted by
    // someone, and is left for a person to look at.
    if (existing?.isSymbolicLink())
      throw new UnsafePathError(
        target,
        `'${target}' is a symbolic link; keepsake never writes through a link`,
        `remove the link (rm '${target}') if nothing else is meant to be there, then run keepsake metrics again`,
      );
    if (existing && !existing.isFile())
      throw new UnsafePathError(
        target,
        `'${target}' is not a regular file; keepsake replaces only its own file`,
        'move it away, then run keepsake metrics again',
      );
    const temp = `.${TEXTFILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const at = `${proc}/${temp}`;
    let fd: number;
    try {
      // O_EXCL|O_NOFOLLOW: a file or link planted under the temporary name is never opened.
      fd = fs.openSync(at, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    } catch (error) {
      throw toSystemError(error, 'open', `${dir}/${temp}`, 'create');
    }
    try {
      try {
        fs.writeFileSync(fd, text);
        fs.fchmodSync(fd, 0o644); // whatever the umask: node_exporter runs as its own user
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      if (options.pauseMs) sleep(options.pauseMs);
      fs.renameSync(at, `${proc}/${TEXTFILE}`);
    } catch (error) {
      fs.rmSync(at, { force: true }); // our own temporary file, never renamed into place
      throw toSystemError(error, 'write', target, 'write');
    }
    const dirFd = fs.openSync(proc, O_RDONLY | O_DIRECTORY);
    try {
      fs.fsyncSync(dirFd); // the rename itself survives a power loss
    } finally {
      fs.closeSync(dirFd);
    }
  });
  return target;
}
