// The pieces a move is made of: `cp -a` (owners, modes, times, xattrs and ACLs), comparing an
// entry with its copy, walking a tree without following links, and the kill points the
// crash tests use. Nothing here removes data at a source.

import * as fs from 'node:fs';
import { describeErrno } from '../core/errno.js';
import { SystemError } from '../errors.js';
import { hooks } from '../hooks.js';
import { sha256Hex } from './digest.js';
import { keyOf, type StatKey } from './move-journal.js';
import { spawnSync } from './spawn.js';

export const parentOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
export const nameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
export const join = (a: string, rel: string) => (rel ? `${a}/${rel}` : a);

/** A /proc/self/fd alias as another process must name it. */
export const forChild = (p: string) =>
  p.startsWith('/proc/self/') ? p.replace('/proc/self/', `/proc/${process.pid}/`) : p;

let checkpoints = 0;
/** Crash tests: SIGKILL at the Nth step of moves in this process (KEEPSAKE_KILL_IN_MOVE=N). */
export function checkpoint(): void {
  const at = hooks().killInMove;
  if (at && ++checkpoints === Number(at)) process.kill(process.pid, 'SIGKILL');
}

export function lkey(path: string): StatKey | undefined {
  const st = fs.lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return st ? keyOf(st) : undefined;
}

/** The errno cp reported, from its message (cp says "No space left on device", not ENOSPC). */
function errnoIn(text: string): string {
  const known: Array<[RegExp, string]> = [
    [/No space left/i, 'ENOSPC'],
    [/Read-only file system/i, 'EROFS'],
    [/Disk quota exceeded/i, 'EDQUOT'],
    [/Permission denied/i, 'EACCES'],
    [/Operation not permitted/i, 'EPERM'],
    [/No such file/i, 'ENOENT'],
    [/Input\/output error/i, 'EIO'],
  ];
  return known.find(([re]) => re.test(text))?.[1] ?? 'EIO';
}

/**
 * `cp -a` of `sources` (relative to `cwd`, or absolute) into `to`. With `parents`, each
 * relative path is recreated under the directory `to`. Throws with cp's own words and errno.
 */
export function cpA(
  sources: string[],
  to: string,
  opts: {
    cwd?: string;
    parents?: boolean;
    /** Follow the source itself when it is a link (a /proc/self/fd alias of a directory). */
    deref?: boolean;
    tolerateVanished?: boolean;
    shown: string;
  },
): void {
  const from = sources.map(forChild);
  const args = opts.parents
    ? ['-a', '--parents', '-t', to, '--', ...from]
    : [opts.deref ? '-aH' : '-a', '--no-target-directory', '--', ...from, to];
  const r = spawnSync('cp', args, {
    encoding: 'utf8',
    ...(opts.cwd ? { cwd: forChild(opts.cwd) } : {}),
    maxBuffer: 16 << 20,
  });
  if (r.status === 0) return;
  const text = (r.stderr || r.error?.message || '').trim();
  const errno = errnoIn(text);
  // A file removed by its program while being copied is not a failure: it is not there.
  if (opts.tolerateVanished && text.split('\n').every((l) => /No such file/i.test(l))) return;
  throw new SystemError(
    'cp',
    errno,
    opts.shown,
    `cannot copy '${opts.shown}' into the store: ${describeErrno(errno)} (${errno}): ${text.split('\n')[0]}`,
    errno === 'ENOSPC' || errno === 'EDQUOT'
      ? 'make room in the store, then run keepsake again; the original was left in place'
      : errno === 'EROFS'
        ? 'the store is mounted read-only; remount it read-write, then run keepsake again'
        : undefined,
  );
}

function hashOf(path: string): string {
  return sha256Hex(fs.readFileSync(path));
}

/** Why `b` is not an exact copy of `a` (type, owner, mode, size, content, link), or null. */
export function differs(a: string, b: string): string | null {
  const x = fs.lstatSync(a, { throwIfNoEntry: false });
  const y = fs.lstatSync(b, { throwIfNoEntry: false });
  if (!x || !y) return 'missing';
  if ((x.mode & 0o170000) !== (y.mode & 0o170000)) return 'type';
  if ((x.mode & 0o7777) !== (y.mode & 0o7777) || x.uid !== y.uid || x.gid !== y.gid)
    return 'owner or mode';
  if (x.isSymbolicLink()) return fs.readlinkSync(a) === fs.readlinkSync(b) ? null : 'link';
  if (x.isFile()) return x.size === y.size && hashOf(a) === hashOf(b) ? null : 'content';
  return null;
}

/** Same content (files), text (links) or kind (others), whatever the owners and times. */
export function sameContent(a: string, b: string): boolean {
  const x = fs.lstatSync(a, { throwIfNoEntry: false });
  const y = fs.lstatSync(b, { throwIfNoEntry: false });
  if (!x || !y || (x.mode & 0o170000) !== (y.mode & 0o170000)) return false;
  if (x.isSymbolicLink()) return fs.readlinkSync(a) === fs.readlinkSync(b);
  if (x.isFile()) return x.size === y.size && hashOf(a) === hashOf(b);
  return !x.isDirectory();
}

/** Every entry below `dir` (relative paths, parents before children), without following. */
export function walk(dir: string, rel = '', out: string[] = []): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(join(dir, rel));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const n of names.sort()) {
    const r = rel ? `${rel}/${n}` : n;
    out.push(r);
    const st = fs.lstatSync(join(dir, r), { throwIfNoEntry: false });
    if (st?.isDirectory()) walk(dir, r, out);
  }
  return out;
}

/** Flush a file system's writes before anything at the source goes. */
export function syncFs(dir: string): void {
  const r = spawnSync('sync', ['-f', forChild(dir)]);
  if (r.status === 0) return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function counts(dir: string, type: 'directory' | 'file') {
  const totals = { files: 0, bytes: 0 };
  const entries = type === 'file' ? [''] : walk(dir);
  for (const rel of entries) {
    const st = fs.lstatSync(join(dir, rel), { throwIfNoEntry: false });
    if (!st || st.isDirectory()) continue;
    totals.files++;
    totals.bytes += st.size;
  }
  return totals;
}

/**
 * Files some process has open for writing, by `dev:ino`, with who: a file a program keeps
 * open would take its later writes with it if it were removed, so it is never removed.
 */
export function openForWriting(): Map<string, string> {
  const out = new Map<string, string>();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to see
    }
    for (const fd of fds) {
      try {
        const info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
        const flags = Number.parseInt(/flags:\s+([0-7]+)/.exec(info)?.[1] ?? '0', 8);
        if ((flags & 3) === 0) continue; // read-only (or a path descriptor)
        const st = fs.statSync(`/proc/${pid}/fd/${fd}`, { bigint: true });
        if (!st.isFile()) continue;
        const key = `${st.dev}:${st.ino}`;
        if (out.has(key)) continue;
        let comm = '';
        try {
          comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          // gone meanwhile
        }
        out.set(key, `process ${pid}${comm ? ` (${comm})` : ''}`);
      } catch {
        // the descriptor closed meanwhile
      }
    }
  }
  return out;
}
