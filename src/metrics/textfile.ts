// Writing `DIR/keepsake.prom` so that node_exporter never reads half of it: the text goes to a
// temporary file in DIR (hidden, not ending in .prom, so the collector skips it), is synced,
// and is renamed over the old file; then DIR is synced. A reader sees the old file or the new
// one, and a kill at any point leaves one of them whole. DIR is opened through the verified
// descriptor of safe-fs: no component of it may be a link, and neither may keepsake.prom.

import path from 'node:path';
import { UnsafePathError } from '../errors.js';
import { AtomicWriteError, clearDeadTemporaries, replaceFile } from '../system/atomic-write.js';
import { lstatOrNull, mkdirSafe, toSystemError, withVerifiedPath } from '../system/safe-fs.js';

export const TEXTFILE = 'keepsake.prom';

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

function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Replace `dir/keepsake.prom` with `text`, atomically, mode 0644. Returns the path written. */
export function writeTextfile(dir: string, text: string, options: WriteOptions = {}): string {
  const target = `${dir}/${TEXTFILE}`;
  ensureDir(dir);
  withVerifiedPath(dir, 'directory', (proc) => {
    // The figures are computed anew at every run: a dead writer's copy is never the only one.
    clearDeadTemporaries(proc, TEXTFILE);
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
    try {
      replaceFile(proc, TEXTFILE, text, {
        mode: 0o644, // whatever the umask: node_exporter runs as its own user
        ...(options.pauseMs ? { beforeRename: () => sleep(options.pauseMs!) } : {}),
      });
    } catch (e) {
      if (!(e instanceof AtomicWriteError)) throw e;
      throw e.step === 'open'
        ? toSystemError(e.error, 'open', `${dir}/${e.temp}`, 'create')
        : toSystemError(e.error, 'write', target, 'write');
    }
  });
  return target;
}
