// Undoing a rename move while programs keep writing at the source. After the rename, the
// source is a new, empty directory; a program that opens paths there (a log appended to by
// path, a new file) writes into it until the bind would have covered it. If the bind fails,
// that directory is no longer empty when the undo wants to remove it and rename the data back.
// Its entries then join the data first, so that all of it ends at the source again.

import * as fs from 'node:fs';
import { join } from './move-tree.js';
import { lstatOrNull, mkdirSafe } from './safe-fs.js';

const O_PATH = 0o10000000;
const { O_NOFOLLOW, O_DIRECTORY } = fs.constants;
/** A program writing without pause could keep the directory busy forever: then it stays. */
const ROUNDS = 50;

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** Run `fn` with the directory `dir` opened, never through a link. */
function withDir<T>(dir: string, fn: (at: string) => T): T {
  const fd = fs.openSync(dir, O_PATH | O_NOFOLLOW | O_DIRECTORY);
  try {
    return fn(`/proc/self/fd/${fd}`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Move the entry `from` to the free name `to`, never over anything: a directory by rename
 * (which never replaces a non-empty directory, and `to` was checked to be free), anything else
 * by a hard link, which fails if `to` exists, and an unlink of `from` only while it is still
 * the entry that was linked. False when `to` was taken.
 */
function moveToFree(from: string, to: string, st: fs.Stats): boolean {
  if (st.isDirectory()) {
    if (lstatOrNull(to)) return false;
    fs.renameSync(from, to);
    return true;
  }
  try {
    fs.linkSync(from, to);
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    throw e;
  }
  const now = lstatOrNull(from);
  if (now && now.ino === st.ino && now.dev === st.dev) fs.unlinkSync(from);
  return true;
}

/** Root's private directories for keepsake's own bookkeeping (the backup directory). */
function ensureDirs(dir: string) {
  const missing: string[] = [];
  for (let d = dir; !lstatOrNull(d); d = d.slice(0, d.lastIndexOf('/')) || '/') missing.unshift(d);
  for (const d of missing) mkdirSafe(d, 0, 0, 0o700);
}

/** Keep `from` in the backup directory as `rel`, under a name not taken yet. */
function keepAside(from: string, st: fs.Stats, backup: string, rel: string): string {
  const want = join(backup, rel);
  ensureDirs(want.slice(0, want.lastIndexOf('/')));
  for (let n = 0; ; n++) {
    const to = n === 0 ? want : `${want}.${n}`;
    if (moveToFree(from, to, st)) return to;
  }
}

interface Merge {
  backup: string;
  kept: string[];
  /** Crash tests: called after each entry moved. */
  onMoved: () => void;
}

/** Move every entry of `src` into `dst`; returns what had to be kept in the backup instead. */
function merge(src: string, dst: string, c: Merge, rel: string) {
  for (const name of fs.readdirSync(src)) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatOrNull(`${src}/${name}`);
    if (!st) continue;
    const there = lstatOrNull(`${dst}/${name}`);
    if (!there && moveToFree(`${src}/${name}`, `${dst}/${name}`, st)) {
      c.onMoved();
      continue;
    }
    if (st.isDirectory() && there?.isDirectory()) {
      withDir(`${src}/${name}`, (a) => withDir(`${dst}/${name}`, (b) => merge(a, b, c, r)));
      try {
        fs.rmdirSync(`${src}/${name}`);
      } catch (e) {
        if (code(e) !== 'ENOTEMPTY' && code(e) !== 'ENOENT') throw e;
      }
      continue;
    }
    c.kept.push(keepAside(`${src}/${name}`, st, c.backup, r));
    c.onMoved();
  }
}

/**
 * Remove the directory `parent/name` that a rename move made at its source, so that the data
 * (`tree`, on the same file system) can be renamed back. Invariant: nothing a program wrote
 * there is removed or overwritten: each entry is moved into the tree where the tree has no
 * such name, merged into it where both are directories, and otherwise kept in `backup` (a
 * name the tree also has: both versions are then whole, one at the source, one in the backup);
 * the directory itself is removed only by rmdir, when empty. Killed midway, every entry is
 * in the tree, in the backup or still here, and the move's journal finishes the move. Returns
 * the paths kept in the backup. `parent` and `tree` are verified aliases (/proc/self/fd).
 */
export function emptyPlaceholder(
  parent: string,
  name: string,
  tree: string,
  backup: string,
  onMoved: () => void = () => {},
): string[] {
  const c: Merge = { backup, kept: [], onMoved };
  for (let round = 0; ; round++) {
    try {
      fs.rmdirSync(`${parent}/${name}`);
      return c.kept;
    } catch (e) {
      if (code(e) === 'ENOENT') return c.kept;
      if (code(e) !== 'ENOTEMPTY' || round >= ROUNDS) throw e;
    }
    withDir(`${parent}/${name}`, (a) => merge(a, tree, c, ''));
  }
}
