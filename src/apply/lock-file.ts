// The lock without flock (no native addon): a file created with O_EXCL that names its process.
// The kernel does not drop it when the process dies, so a file whose process is gone is taken
// over; the takeover is the only racy part, and it is made safe by moving the stale file aside
// under a name of our own and checking that what was moved is the stale file we judged.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { LockedError, UnsafePathError } from '../errors.js';
import { toSystemError, withVerifiedPath } from '../system/safe-fs.js';
import type { Lock } from './lock.js';

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
      // Stale. Move it aside under our own name: of several takers, only one moves it.
      const aside = `${d}/.${name}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
      try {
        fs.renameSync(`${d}/${name}`, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another taker moved it
        throw plantedOr(e, path);
      }
      const moved = readHolder(aside, path);
      if (moved === text) {
        fs.rmSync(aside, { force: true }); // invariant: only the stale file we judged is removed
        continue;
      }
      // We moved a live holder's fresh file (it took over between our read and our rename):
      // put it back where it was and leave the lock to it.
      try {
        fs.linkSync(aside, `${d}/${name}`);
      } catch {
        // A third process took the name in the moment it was free. Its owner's release finds
        // the name not its own and leaves it; this window is the fallback's one weakness.
      }
      fs.rmSync(aside, { force: true });
      throw new LockedError(root, (moved ?? '').split('\n')[1] || 'another keepsake');
    }
    throw new LockedError(root, 'processes that keep taking and releasing the lock');
  });
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
