// The one way keepsake replaces a file: a temporary file beside it, created exclusively, given
// its owner and mode before it has content, written and synced, then renamed over the target,
// and the directory synced. A reader sees the old file or the new one, never half of either;
// a crash leaves at most a `.NAME.*.tmp` beside it, never a damaged target.
//
// `dir` is the directory as it is to be opened: a verified `/proc/self/fd/N` alias for paths
// others may control (safe-fs.ts's writeFileAtomicSafe), or a plain path where the owner's own
// links are to be followed (the configuration file, a user's own records in their home).

import fs from 'node:fs';
import { randomHex } from './digest.js';
import { type FileContent, writeContent } from './file-content.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;

export interface AtomicWrite {
  /** Permission bits of the new file. */
  mode: number;
  /** Owner of the new file; the writer's own when not given. */
  uid?: number;
  gid?: number;
  /** Called with the new file whole and synced, just before it replaces the target. */
  beforeRename?: () => void;
}

/** Which step failed, with its error: the caller knows the path to name. */
export class AtomicWriteError extends Error {
  constructor(
    readonly step: 'open' | 'write' | 'rename' | 'fsync',
    readonly error: unknown,
    /** The temporary file's name, beside the target. */
    readonly temp: string,
  ) {
    super(`${step}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Replaces (or creates) `dir/name` with `content`. Throws an AtomicWriteError so that the caller
 * names the real path.
 */
export function replaceFile(
  dir: string,
  name: string,
  content: FileContent,
  opts: AtomicWrite,
): void {
  const temp = `.${name.slice(0, 200)}.${process.pid}.${randomHex(4)}.tmp`;
  const tempPath = `${dir}/${temp}`;
  let fd: number;
  try {
    // O_EXCL|O_NOFOLLOW: a name planted here meanwhile is never opened, let alone followed.
    fd = fs.openSync(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (error) {
    throw new AtomicWriteError('open', error, temp);
  }
  let placed = false;
  try {
    try {
      // Owner and mode first: nobody may open the file with wider rights while it fills.
      if (opts.uid !== undefined || opts.gid !== undefined) {
        const own = fs.fstatSync(fd);
        const uid = opts.uid ?? own.uid;
        const gid = opts.gid ?? own.gid;
        if (own.uid !== uid || own.gid !== gid) fs.fchownSync(fd, uid, gid);
      }
      fs.fchmodSync(fd, opts.mode);
      writeContent(fd, content);
      fs.fsyncSync(fd);
    } catch (error) {
      throw new AtomicWriteError('write', error, temp);
    } finally {
      fs.closeSync(fd);
    }
    try {
      opts.beforeRename?.();
      fs.renameSync(tempPath, `${dir}/${name}`);
      placed = true;
    } catch (error) {
      throw new AtomicWriteError('rename', error, temp);
    }
  } finally {
    // Invariant: the temporary name never outlives a failed call; it holds only what this call
    // wrote, never the target's data.
    if (!placed) fs.rmSync(tempPath, { force: true });
  }
  syncDirectory(dir, temp);
}

/** The rename is durable once the directory is synced (O_PATH descriptors cannot be). */
function syncDirectory(dir: string, temp: string): void {
  let dirFd: number | undefined;
  try {
    dirFd = fs.openSync(dir, O_RDONLY | O_DIRECTORY);
    fs.fsyncSync(dirFd);
  } catch (error) {
    // Some file systems refuse to sync a directory (EINVAL): the data itself is synced.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL')
      throw new AtomicWriteError('fsync', error, temp);
  } finally {
    if (dirFd !== undefined) fs.closeSync(dirFd);
  }
}

/** A process of that id is running (one of another user's counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporary files `replaceFile` left beside `dir/name` when its writer died before
 * renaming. Invariant: only regular files of replaceFile's own temporary name for `name`,
 * whose writer is gone; what they hold never replaced the target, which is whole. Only for a
 * file whose content every run computes anew, so that a dead writer's copy is never the only
 * one.
 */
export function clearDeadTemporaries(dir: string, name: string): void {
  const own = name.slice(0, 200).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const temp = new RegExp(`^\\.${own}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
  for (const entry of fs.readdirSync(dir)) {
    const m = temp.exec(entry);
    if (!m || alive(Number(m[1]))) continue;
    const st = fs.lstatSync(`${dir}/${entry}`, { throwIfNoEntry: false });
    if (st?.isFile()) fs.rmSync(`${dir}/${entry}`, { force: true });
  }
}

/**
 * Replace (or create) the link `path` with one to `to` in one rename, so that `path` never goes
 * missing. Invariant: the temporary name is new (symlink(2) refuses an existing one), so
 * nothing but this call's own link is ever overwritten or removed; rename(2) replaces a link
 * or file at `path`, never a directory.
 */
export function replaceSymlink(path: string, to: string): void {
  const temp = `${path}.keepsake-${randomHex(6)}`;
  fs.symlinkSync(to, temp);
  try {
    fs.renameSync(temp, path);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
