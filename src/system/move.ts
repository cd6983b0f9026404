// Moving data that is in the way into the store (adoption): a rename when both sides are on
// one file system, otherwise a copy with `cp -a` (owners, modes, times, xattrs and ACLs),
// flushed, verified file by file (type, size, SHA-256, link text), and only then removed
// from where it was. Killed at any point, the data is whole in at least one place.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { SystemError } from '../errors.js';
import { removeTreeSafe } from '../orphans/remove.js';
import { lstatOrNull, mkdirSafe, withVerifiedPath } from './safe-fs.js';

export interface MoveReport {
  how: 'rename' | 'copy';
  files: number;
  bytes: number;
}

const parentOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
const nameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * Move a directory's content into `to` (created with the source's owner and mode when
 * missing; it must be empty otherwise), leaving `from` an empty directory; or move a file to
 * `to` (which must not exist), leaving nothing at `from`.
 */
export function moveData(from: string, to: string, type: 'directory' | 'file'): MoveReport {
  const src = withVerifiedPath(from, type, (_p, st) => st);
  const destParent = type === 'directory' ? to : parentOf(to);
  if (type === 'directory' && !lstatOrNull(to)) mkdirSafe(to, src.uid, src.gid, src.mode & 0o7777);
  const names = type === 'directory' ? fs.readdirSync(from) : [nameOf(from)];
  if (type === 'directory' && fs.readdirSync(to).length > 0) {
    throw new SystemError(
      'adopt',
      'ENOTEMPTY',
      to,
      `'${to}' is not empty; keepsake does not merge into it`,
    );
  }
  if (type === 'file' && lstatOrNull(to)) {
    throw new SystemError(
      'adopt',
      'EEXIST',
      to,
      `'${to}' already exists; keepsake does not overwrite it`,
    );
  }
  const totals = { files: 0, bytes: 0 };
  if (
    renameAll(
      type === 'directory' ? from : parentOf(from),
      destParent,
      names,
      type === 'directory' ? undefined : nameOf(to),
      totals,
    )
  ) {
    return { how: 'rename', ...totals };
  }
  // One cp for the whole tree: with -T an existing (empty) directory is filled, not nested.
  copy(from, to);
  verifySame(from, to, totals);
  syncAll(type === 'directory' ? to : parentOf(to));
  // Only now that every byte is verified in the store does the original go.
  for (const name of names) removeTreeSafe(type === 'directory' ? `${from}/${name}` : from);
  return { how: 'copy', ...totals };
}

/**
 * Rename each name from one verified directory into another: all, or none when they are on
 * different mounts (EXDEV, known at the first rename, the same for every name).
 */
function renameAll(
  fromDir: string,
  toDir: string,
  names: string[],
  renameTo: string | undefined,
  totals: { files: number; bytes: number },
): boolean {
  return withVerifiedPath(fromDir, 'directory', (a) =>
    withVerifiedPath(toDir, 'directory', (b) => {
      for (const name of names) {
        count(`${a}/${name}`, totals);
        try {
          fs.renameSync(`${a}/${name}`, `${b}/${renameTo ?? name}`);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EXDEV') {
            totals.files = 0;
            totals.bytes = 0;
            return false;
          }
          throw e;
        }
      }
      return true;
    }),
  );
}

function copy(from: string, to: string) {
  const r = spawnSync('cp', ['-a', '--no-target-directory', '--', from, to], { encoding: 'utf8' });
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
