// Moving data that is in the way into the store (adoption): a rename when both sides are on
// one file system, otherwise a copy with `cp -a` (owners, modes, times, xattrs and ACLs),
// flushed, verified file by file (type, size, SHA-256, link text), and only then removed
// from where it was. Killed at any point, the data is whole in at least one place.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { SystemError } from '../errors.js';
import { removeTreeSafe } from '../orphans/remove.js';
import {
  forgetVerified,
  lstatOrNull,
  mkdirSafe,
  withoutVerifiedDirCache,
  withVerifiedPath,
} from './safe-fs.js';

export interface MoveReport {
  how: 'rename' | 'copy';
  files: number;
  bytes: number;
}

const parentOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
const nameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * Move a directory's content to `to` (missing, or an empty directory), leaving `from` an empty
 * directory with its owner and mode; or move a file to `to` (which must not exist), leaving
 * nothing at `from`. Each way, the data appears at `to` in one rename: a kill at any point
 * leaves it whole at `from`, whole at `to`, or both.
 */
export function moveData(from: string, to: string, type: 'directory' | 'file'): MoveReport {
  const src = withVerifiedPath(from, type, (_p, st) => st);
  const existing = lstatOrNull(to);
  if (existing && (type === 'file' || !existing.isDirectory() || fs.readdirSync(to).length > 0)) {
    throw new SystemError(
      'adopt',
      'EEXIST',
      to,
      `'${to}' already holds data; keepsake does not merge into it`,
    );
  }
  const totals = { files: 0, bytes: 0 };
  count(from, totals);
  // One file system: one rename moves the whole tree (and replaces an empty directory).
  if (renameInto(from, to)) {
    if (type === 'directory') mkdirSafe(from, src.uid, src.gid, src.mode & 0o7777);
    return { how: 'rename', ...totals };
  }
  // Across file systems: one cp beside `to`, verified and flushed, then renamed into place.
  const partial = `${parentOf(to)}/.${nameOf(to)}.keepsake-partial`;
  if (lstatOrNull(partial)) withoutVerifiedDirCache(() => removeTreeSafe(partial));
  // cp starts from the verified descriptor (-H follows that one link only; -a then copies
  // links inside as links), so nothing swapped into the path can redirect it.
  withVerifiedPath(from, type, (at) =>
    copy(at.replace('/proc/self/', `/proc/${process.pid}/`), partial),
  );
  verifySame(from, partial, { files: 0, bytes: 0 });
  syncAll(parentOf(to));
  if (!renameInto(partial, to)) {
    throw new SystemError('rename', 'EXDEV', to, `cannot rename '${partial}' to '${to}'`);
  }
  // Only now that every byte is verified in the store does the original go.
  const names = type === 'directory' ? fs.readdirSync(from) : [nameOf(from)];
  withoutVerifiedDirCache(() => {
    for (const name of names) {
      const gone = removeTreeSafe(type === 'directory' ? `${from}/${name}` : from);
      if (gone.kept.length > 0) {
        throw new SystemError(
          'adopt',
          'EBUSY',
          from,
          `could not remove all of '${from}' after copying it: ${gone.kept.map((k) => `${k.path} (${k.reason})`).join(', ')}`,
          'the copy in the store is complete; remove what is left by hand, then apply again',
        );
      }
    }
  });
  return { how: 'copy', ...totals };
}

/** rename(2) through verified parents; false when the two are on different mounts. */
function renameInto(from: string, to: string): boolean {
  return withVerifiedPath(parentOf(from), 'directory', (a) =>
    withVerifiedPath(parentOf(to), 'directory', (b) => {
      try {
        fs.renameSync(`${a}/${nameOf(from)}`, `${b}/${nameOf(to)}`);
        // Descriptors kept for either path now point at the moved tree: drop them.
        forgetVerified(from);
        forgetVerified(to);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EXDEV') return false;
        throw e;
      }
    }),
  );
}

function copy(from: string, to: string) {
  const r = spawnSync('cp', ['-aH', '--no-target-directory', '--', from, to], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new SystemError(
      'cp',
      'EIO',
      from,
      `cannot copy '${from}' to '${to}': ${(r.stderr || r.error?.message || '').trim()}`,
    );
  }
}

function hashOf(path: string): string {
  return createHash('sha256').update(fs.readFileSync(path)).digest('hex');
}

function count(path: string, totals: { files: number; bytes: number }) {
  const st = fs.lstatSync(path);
  if (!st.isDirectory()) {
    totals.files++;
    totals.bytes += st.size;
    return;
  }
  for (const name of fs.readdirSync(path)) count(`${path}/${name}`, totals);
}

/** The copy must match the original exactly, or the original is not touched. */
function verifySame(a: string, b: string, totals: { files: number; bytes: number }) {
  const x = fs.lstatSync(a);
  const y = fs.lstatSync(b, { throwIfNoEntry: false });
  const differ = (what: string) => {
    throw new SystemError(
      'verify',
      'EIO',
      b,
      `the copy of '${a}' differs (${what}); the original was left in place`,
    );
  };
  if (!y) return differ('missing');
  if ((x.mode & 0o170000) !== (y.mode & 0o170000)) return differ('type');
  if ((x.mode & 0o7777) !== (y.mode & 0o7777) || x.uid !== y.uid || x.gid !== y.gid)
    differ('owner or mode');
  if (x.isSymbolicLink()) {
    if (fs.readlinkSync(a) !== fs.readlinkSync(b)) differ('link');
    totals.files++;
  } else if (x.isFile()) {
    if (x.size !== y.size || hashOf(a) !== hashOf(b)) differ('content');
    totals.files++;
    totals.bytes += x.size;
  } else if (x.isDirectory()) {
    const names = fs.readdirSync(a).sort();
    if (names.join('\0') !== fs.readdirSync(b).sort().join('\0')) differ('entries');
    for (const n of names) verifySame(`${a}/${n}`, `${b}/${n}`, totals);
  }
}

/** Flush the copy to the store's disk before the original is removed. */
function syncAll(dir: string) {
  const r = spawnSync('sync', ['-f', dir]);
  if (r.status !== 0) fs.fsyncSync(fs.openSync(dir, 'r'));
}
