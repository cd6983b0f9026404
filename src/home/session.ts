// Who a `home` command acts for: run by a user, that user's own home; run by root, every user
// with home files (or the one `--user` names), each through a process running as that user.

import * as fs from 'node:fs';
import { loadConfig } from '../config/index.js';
import { HomeError, LockedError, UsageError } from '../errors.js';
import type { HomeFileSet, Model } from '../model/types.js';
import { loadBinding } from '../system/binding.js';
import { makePrivateDir } from '../system/home-fs.js';
import { withExclusiveFlock } from '../system/lock.js';
import { homeSetOf } from './select.js';

export type HomeSession =
  | { mode: 'user'; model: Model; set: HomeFileSet }
  | { mode: 'root'; model: Model; sets: HomeFileSet[] };

export function openHomeSession(opts: {
  config: string;
  root: string;
  verbose: boolean;
  user?: string;
}): HomeSession {
  if (opts.root !== '/') {
    throw new UsageError(
      `home files are applied on the running system only, not under --root ${opts.root}`,
      'run keepsake home on the booted system',
    );
  }
  const model = loadConfig(opts.config, { root: '/', verbose: opts.verbose });
  const uid = process.geteuid?.() ?? 0;
  if (uid === 0) {
    const sets = (model.homeFiles ?? []).filter(
      (s) => opts.user === undefined || s.user.user === opts.user,
    );
    if (opts.user !== undefined && sets.length === 0)
      throw new UsageError(
        `user ${opts.user} declares no home files in ${model.configFile}`,
        'see users.<name>.files',
      );
    return { mode: 'root', model, sets };
  }
  const set = homeSetOf(model, uid);
  if (set === undefined || (opts.user !== undefined && opts.user !== set.user.user)) {
    throw new UsageError(
      opts.user !== undefined && set !== undefined
        ? `you are ${set.user.user}: only root acts on another user's home`
        : `${model.configFile} declares no home files or persistence for uid ${uid}`,
      'declare them under users.<your name>.files',
    );
  }
  return { mode: 'user', model, set };
}

/** The user's home store, which a user may create except in a system store (root makes it). */
export function readyHomeStore(set: HomeFileSet): void {
  const { path, from } = set.state;
  if (fs.existsSync(path)) return;
  if (from === 'system-store') {
    throw new HomeError(
      `${path} does not exist, and only root can create it in ${path.slice(0, path.indexOf('/.keepsake-home'))}`,
      `run keepsake apply (or keepsake home apply) as root once, or set users.${set.user.user}.homeStore to a directory you own`,
    );
  }
  makePrivateDir(path);
}

/**
 * Run `fn` as the only home run on this home store (root's at boot and the user's at login,
 * say): an exclusive lock on `<home store>/lock`, dropped by the kernel if the process dies.
 * Without the native addon there is no flock, and no lock; a store that does not exist holds
 * nothing to protect.
 */
export function withHomeStoreLock<T>(set: HomeFileSet, fn: () => T): T {
  const { binding } = loadBinding();
  if (binding === null || !fs.existsSync(set.state.path)) return fn();
  return withExclusiveFlock(
    binding,
    `${set.state.path}/lock`,
    {
      busy: () => new LockedError(set.state.path, `another keepsake home run for ${set.user.user}`),
      cannotOpen: (e) => storeLockError(set, e),
    },
    fn,
  );
}

/** Why `<home store>/lock` cannot be opened: whose store it is, and what to change. */
function storeLockError(set: HomeFileSet, e: unknown): unknown {
  const store = set.state.path;
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return e;
  const st = fs.statSync(store);
  const who = `owned by uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;
  return new HomeError(
    `cannot write the home store ${store} (${who}) as ${set.user.user}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'} (${code})`,
    code === 'EROFS'
      ? `remount the file system holding ${store} read-write, or set users.${set.user.user}.homeStore to a writable directory`
      : `the home store must be ${set.user.user}'s own: chown -R ${set.user.user} ${store} as root, or set users.${set.user.user}.homeStore to a directory ${set.user.user} owns`,
  );
}
