// The lock without flock (no native addon): a file created with O_EXCL that names its process.
// The kernel does not drop it when the process dies, so a file whose process is gone is taken
// over. The takeover is serialised by a second O_EXCL file, the guard: only its holder may
// remove a stale lock file, after judging it stale again under the guard. A stale file's owner
// is dead and never releases it, and no one else removes it, so what the guard holder removes
// is exactly the stale file it judged: a fresh holder's file is never moved.

import * as fs from 'node:fs';
import { LockedError, UnsafePathError } from '../errors.js';
import type { Lock } from './lock.js';
import { toSystemError, withVerifiedPath } from './safe-fs.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fs.constants;
const ATTEMPTS = 20;

/** `pid starttime`: a pid alone may be reused by a later process. */
function identity(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may hold spaces, so count after ')'.
    return `${pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

/** An empty lock file left by a process killed between creating and writing it. */
function abandoned(proc: string): boolean {
  try {
    return Date.now() - fs.lstatSync(proc).mtimeMs > 10_000;
  } catch {
    return false;
  }
}

function alive(id: string): boolean {
  const [first = '', start] = id.split(' ');
  const pid = Number(first);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // A file of an earlier keepsake names the pid alone: alive while that pid is.
  return start === undefined ? fs.existsSync(`/proc/${pid}`) : identity(pid) === id;
}

/** The file's text, or undefined when it is gone (released meanwhile). */
function readHolder(proc: string, path: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(proc, O_RDONLY | O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw plantedOr(e, path);
  }
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export function fileLock(dir: string, name: string, holder: string, root: string): Lock {
  const path = `${dir}/${name}`;
  const mine = `${identity(process.pid) ?? process.pid}\n${holder}\n`;
  return withVerifiedPath(dir, 'directory', (d) => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        const fd = fs.openSync(`${d}/${name}`, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
        try {
          fs.writeSync(fd, mine);
        } finally {
          fs.closeSync(fd);
        }
        return { path, release: () => releaseFile(dir, name, mine) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw plantedOr(e, path);
      }
      const text = readHolder(`${d}/${name}`, path);
      if (text === undefined) continue; // released between our create and our read
      const [id = '', held] = text.split('\n');
      // A holder that has not written yet is alive, unless its empty file is old.
      if ((id === '' && !abandoned(`${d}/${name}`)) || (id !== '' && alive(id)))
        throw new LockedError(root, held || `pid ${id || 'unknown'}`);
      // Stale: only the holder of the guard may remove it; then every taker tries again.
      takeOver(d, name, text, mine, path, root);
    }
    throw new LockedError(root, 'processes that keep taking and releasing the lock');
  });
}

/**
 * Remove the stale lock file `text` under the takeover guard. Throws LockedError while another
 * live process holds the guard (it is taking the lock over at this moment).
 */
function takeOver(d: string, name: string, text: string, mine: string, path: string, root: string) {
  const guard = `${d}/${name}.takeover`;
  let fd: number;
  try {
    fd = fs.openSync(guard, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw plantedOr(e, path);
    const owner = (readHolder(guard, path) ?? '').split('\n')[0] ?? '';
    // A guard is held for microseconds: one whose process died long ago is removed. Its
    // removal is the one unguarded step left, and needs a kill inside that window first.
    if (owner !== '' ? !alive(owner) && abandoned(guard) : abandoned(guard))
      fs.rmSync(guard, { force: true });
    throw new LockedError(root, 'another keepsake, taking over a stale lock');
  }
  try {
    fs.writeSync(fd, mine);
  } finally {
    fs.closeSync(fd);
  }
  try {
    // Judged again under the guard: still the same stale file, so no one else can remove or
    // replace it now; it is removed, and the lock is free for whoever creates it first.
    if (readHolder(`${d}/${name}`, path) === text) fs.rmSync(`${d}/${name}`);
  } finally {
    if (readHolder(guard, path) === mine) fs.rmSync(guard, { force: true });
  }
}

/** Remove the lock file only while it is still ours. */
function releaseFile(dir: string, name: string, mine: string) {
  try {
    withVerifiedPath(dir, 'directory', (d) => {
      if (readHolder(`${d}/${name}`, `${dir}/${name}`) === mine) fs.rmSync(`${d}/${name}`);
    });
  } catch (e) {
    if (e instanceof UnsafePathError) return; // a link planted meanwhile: never followed
    throw e;
  }
}

/** Any failure to make or open the lock, as a refusal that names the path. */
export function lockError(e: unknown, path: string): Error {
  const err = toSystemError(e, 'open', path, 'open the lock');
  return err instanceof Error ? err : new Error(String(err));
}

/** ELOOP from an O_NOFOLLOW open: a link sits where the lock file belongs. */
export function plantedOr(e: unknown, path: string): Error {
  if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
    return new UnsafePathError(
      path,
      `a symbolic link was found at '${path}'; keepsake refuses to follow it`,
      `only root can write there, so look into who made it; then remove it (rm '${path}'), keepsake makes the file itself`,
    );
  }
  return lockError(e, path);
}
