// libmount's utab (/run/mount/utab): userspace-only mount options such as x-gvfs-hide, which
// file managers read. One line per mount, `KEY=value` pairs separated by spaces, values
// escaped like mountinfo. Written as libmount does: under flock on utab.lock, via rename.

import fs from 'node:fs';
import path from 'node:path';
import { formatUtabLine, parseUtab } from '../core/utab-line.js';
import type { UtabEntry } from '../model/observed.js';
import {
  lstatOrNull,
  mkdirSafe,
  toSystemError,
  withVerifiedPath,
  writeFileAtomicSafe,
} from './safe-fs.js';

/** Entries of the utab at `utabPath`; a missing file is an empty table. */
export function readUtab(utabPath: string): UtabEntry[] {
  return parseUtab(readUtabText(utabPath));
}

/** The utab's text; a missing file reads as an empty one. */
export function readUtabText(utabPath: string): string {
  return readAt(utabPath, utabPath);
}

function readAt(openPath: string, utabPath: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(openPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    return fs.readFileSync(fd, 'utf8');
  } catch (error) {
    // Missing, or something other than a directory where /run/mount belongs: no lines yet.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw toSystemError(error, 'open', utabPath, 'read');
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Holds libmount's exclusive lock (`utab.lock` beside the file) while `fn` runs, so
 * concurrent mount(8) calls do not lose our lines or we theirs.
 */
function withUtabLock<T>(dir: string, lock: ((fd: number) => void) | null, fn: () => T): T {
  if (!lock) return fn();
  const lockPath = path.join(dir, 'utab.lock');
  let fd: number;
  try {
    const { O_RDWR, O_CREAT, O_NOFOLLOW } = fs.constants;
    fd = withVerifiedPath(dir, 'directory', (proc) =>
      fs.openSync(`${proc}/utab.lock`, O_RDWR | O_CREAT | O_NOFOLLOW, 0o644),
    );
  } catch (error) {
    throw toSystemError(error, 'open', lockPath, 'open lock file');
  }
  try {
    lock(fd);
    return fn();
  } finally {
    fs.closeSync(fd); // releases the flock
  }
}

function rewrite(
  utabPath: string,
  lock: ((fd: number) => void) | null,
  change: (entries: UtabEntry[]) => UtabEntry[] | null,
): number {
  const dir = path.dirname(utabPath);
  // Made as libmount makes it (root's, 0755), with /run itself on a root that has none yet.
  for (const d of [path.dirname(dir), dir]) {
    if (lstatOrNull(d)) continue;
    try {
      mkdirSafe(d, 0, 0, 0o755);
    } catch (error) {
      // Made a moment ago by mount(8) or another keepsake: as good.
      if ((error as { errno?: string }).errno !== 'EEXIST') throw error;
    }
  }
  return withUtabLock(dir, lock, () => {
    const name = path.basename(utabPath);
    const before = withVerifiedPath(dir, 'directory', (proc) =>
      parseUtab(readAt(`${proc}/${name}`, utabPath)),
    );
    const after = change(before);
    if (!after) return 0;
    const text = after.map((e) => `${formatUtabLine(e.fields)}\n`).join('');
    writeFileAtomicSafe(utabPath, text, 0o644);
    return Math.abs(after.length - before.length);
  });
}

/**
 * Appends `lines` to the utab, skipping any whose TARGET is already listed with the same OPTS.
 * Returns how many were added. `lock` takes an exclusive flock on the fd it is given.
 */
export function addUtabEntries(
  utabPath: string,
  lines: Array<Record<string, string>>,
  lock: ((fd: number) => void) | null,
): number {
  return rewrite(utabPath, lock, (entries) => {
    const seen = new Set(entries.map((e) => `${e.fields.TARGET}\0${e.fields.OPTS ?? ''}`));
    const added: UtabEntry[] = [];
    for (const fields of lines) {
      const key = `${fields.TARGET}\0${fields.OPTS ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      added.push({ fields: { ...fields } });
    }
    return added.length > 0 ? [...entries, ...added] : null;
  });
}

/** Drops every entry for the given targets (after unmounting them). Returns how many went. */
export function removeUtabEntries(
  utabPath: string,
  targets: readonly string[],
  lock: ((fd: number) => void) | null,
): number {
  if (!lstatOrNull(utabPath)) return 0;
  const drop = new Set(targets);
  return rewrite(utabPath, lock, (entries) => {
    const kept = entries.filter((e) => !drop.has(e.fields.TARGET ?? ''));
    return kept.length === entries.length ? null : kept;
  });
}
