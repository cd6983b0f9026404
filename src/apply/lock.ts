// One keepsake at a time per root: an exclusive lock on <root>/run/keepsake/lock, held for the
// whole observe-plan-execute cycle. The file names its holder, for the message another
// keepsake prints. The kernel drops the lock if the process dies, so it is never stale.

import * as fs from 'node:fs';
import { LockedError } from '../errors.js';
import { hostPath } from '../plan/paths.js';
import type { MountBinding } from '../system/binding.js';
import { lstatOrNull, mkdirSafe, withVerifiedPath } from '../system/safe-fs.js';

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

export interface Lock {
  release(): void;
}

/**
 * Take the lock, or throw LockedError naming the holder. Without the native addon (no
 * flock), a lock file created with O_EXCL stands in, taken over when its process is gone.
 */
export function acquireLock(root: string, binding: MountBinding | null, what: string): Lock {
  const run = hostPath(root, '/run');
  if (!lstatOrNull(run)?.isDirectory()) return { release() {} }; // no /run: nothing to share it
  const dir = `${run}/keepsake`;
  if (!lstatOrNull(dir)) mkdirSafe(dir, 0, 0, 0o700);
  const holder = `pid ${process.pid} (keepsake ${what}, since ${new Date().toISOString()})`;
  return binding ? flockLock(dir, binding, holder, root) : fileLock(dir, holder, root);
}

function flockLock(dir: string, binding: MountBinding, holder: string, root: string): Lock {
  const fd = withVerifiedPath(dir, 'directory', (d) =>
    fs.openSync(
      `${d}/lock`,
      fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW,
      0o600,
    ),
  );
  try {
    binding.flock(fd, LOCK_EX | LOCK_NB);
  } catch (e) {
    const held = fs.readFileSync(fd, 'utf8').trim() || 'a process that did not say who it is';
    fs.closeSync(fd);
    if (
      (e as NodeJS.ErrnoException).code === 'EWOULDBLOCK' ||
      (e as NodeJS.ErrnoException).code === 'EAGAIN'
    ) {
      throw new LockedError(root, held);
    }
    throw e;
  }
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, `${holder}\n`, 0);
  return {
    release() {
      fs.ftruncateSync(fd, 0);
      binding.flock(fd, LOCK_UN);
      fs.closeSync(fd);
    },
  };
}

function fileLock(dir: string, holder: string, root: string): Lock {
  const path = `${dir}/lock.pid`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const flags =
        fs.constants.O_WRONLY |
        fs.constants.O_CREAT |
        fs.constants.O_EXCL |
        fs.constants.O_NOFOLLOW;
      const fd = fs.openSync(path, flags, 0o600);
      fs.writeSync(fd, `${process.pid}\n${holder}\n`);
      fs.closeSync(fd);
      return { release: () => fs.rmSync(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pid, held] = fs.readFileSync(path, 'utf8').split('\n');
      if (pid && fs.existsSync(`/proc/${pid}`)) throw new LockedError(root, held ?? `pid ${pid}`);
      fs.rmSync(path, { force: true }); // its process is gone
    }
  }
  throw new LockedError(root, 'a process that keeps taking the lock');
}
