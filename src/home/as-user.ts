// Root's part in home files: make sure the user's home and home store exist and are the
// user's, then run keepsake's own `home` command as that user. Root never writes inside a
// home or a home store itself: a link planted there can only lead the user's own process,
// and the kernel's permission checks, somewhere.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ancestorsOf } from '../core/paths.js';
import { HomeError } from '../errors.js';
import { hooks } from '../hooks.js';
import type { HomeFileSet } from '../model/types.js';
import { lstatOrNull, mkdirSafe } from '../system/safe-fs.js';

/** Create `path` (the user's, `mode`) and its missing parents (root's, 0755), never following. */
function ensureDir(path: string, uid: number, gid: number, mode: number) {
  for (const a of ancestorsOf(path)) if (!lstatOrNull(a)) mkdirSafe(a, 0, 0, 0o755);
  if (!lstatOrNull(path)) mkdirSafe(path, uid, gid, mode);
  const st = lstatOrNull(path);
  if (!st?.isDirectory() || st.uid !== uid) {
    throw new HomeError(
      `${path} must be a directory owned by ${uid}, but it is ${st?.isSymbolicLink() ? 'a link' : st?.isDirectory() ? `owned by ${st.uid}` : 'not a directory'}`,
      'fix or remove it; keepsake keeps the home files there and acts in it only as the user',
    );
  }
}

/** The user's home, and the home store outside it, both ready and the user's. */
export function prepareHomeState(set: HomeFileSet): void {
  const { uid, gid, path } = set.user;
  if (!lstatOrNull(path)) ensureDir(path, uid, gid, 0o700);
  if (set.state.from !== 'home') ensureDir(set.state.path, uid, gid, 0o700);
}

/**
 * keepsake's launcher, found from this module: bin/keepsake.js beside the compiled or bundled
 * tree of a source checkout, or bin/keepsake beside lib/keepsake where the package installs it
 * (both are Node scripts).
 */
function launcher(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const bin = join(dir, 'bin', 'keepsake.js');
    if (fs.existsSync(bin)) return bin;
    const installed = join(dir, 'bin', 'keepsake');
    if (fs.existsSync(join(dir, 'lib', 'keepsake')) && fs.existsSync(installed)) return installed;
  }
  throw new HomeError(
    'cannot find keepsake’s launcher (bin/keepsake.js, or bin/keepsake beside lib/keepsake) to run as the user',
  );
}

/**
 * Run `keepsake home <args>` as the user of `set`, with only the user's groups, in a clean
 * environment. Output goes straight through; returns the exit status.
 */
export function runHomeAsUser(set: HomeFileSet, args: readonly string[]): number {
  const { uid, gid, user, path } = set.user;
  const r = spawnSync(
    'setpriv',
    [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--init-groups',
      '--',
      process.execPath,
      launcher(),
      'home',
      ...args,
    ],
    {
      cwd: '/',
      stdio: 'inherit',
      env: {
        HOME: path,
        USER: user,
        LOGNAME: user,
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        ...(process.env.NO_COLOR ? { NO_COLOR: process.env.NO_COLOR } : {}),
        ...(hooks().homeStopAfter ? { KEEPSAKE_TEST_HOME_STOP_AFTER: hooks().homeStopAfter } : {}),
      },
    },
  );
  if (r.error)
    throw new HomeError(
      `cannot run keepsake as ${user}: ${r.error.message}`,
      'setpriv (util-linux) is needed',
    );
  return r.status ?? 1;
}
