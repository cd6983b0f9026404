// Directories that appear whole: every entry is written into a new sibling directory under a
// name of keepsake's own, which is then renamed into place. A reader sees the old directory or
// the new one, never half of either; a crash leaves at most that sibling, never a damaged
// directory. Errors are Node's own (code, syscall, path), for the caller to word.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { stepCounter } from '../hooks.js';
import { alive, replaceFile, replaceSymlink } from './atomic-write.js';
import { randomHex } from './digest.js';

export interface TreeEntry {
  /** Relative to the directory written. */
  path: string;
  content?: string | Uint8Array;
  /** A symbolic link to this, instead of a file. */
  symlink?: string;
  /** Permission bits of a file (0644 when not given), whatever the umask. */
  mode?: number;
}

export interface NewTree {
  /** Directories to make first, parents before children (0755 less the umask). */
  dirs?: readonly string[];
  entries: readonly TreeEntry[];
  /** Permission bits of the top directory, whatever the umask; 0755 less the umask if not. */
  mode?: number;
}

/** Make the new directory `dir` and write `tree` into it. */
function writeTree(dir: string, tree: NewTree): void {
  fs.mkdirSync(dir, { mode: 0o755 });
  if (tree.mode !== undefined) fs.chmodSync(dir, tree.mode);
  for (const d of tree.dirs ?? []) fs.mkdirSync(`${dir}/${d}`, { mode: 0o755 });
  for (const e of tree.entries) {
    const at = path.join(dir, e.path);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    if (e.symlink !== undefined) fs.symlinkSync(e.symlink, at);
    else {
      // Created exclusively: the directory is new, so nothing in it is overwritten.
      fs.writeFileSync(at, e.content ?? '', { flag: 'wx' });
      fs.chmodSync(at, e.mode ?? 0o644);
    }
  }
}

/**
 * What a run killed in the middle of replaceDirectory left beside `dir`. Invariant: a run
 * killed between its two renames left the old directory set aside and none in place; it is
 * put back before anything else, so the output is missing only within that window and never
 * stays missing. Other copies a dead run left (a new one half written, an old one already
 * replaced) are keepsake's own copies of output it writes again, and are removed. Those of a
 * run still alive are its own business and left alone.
 */
function putBackAside(dir: string): void {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.keepsake-`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return; // no parent yet: nothing left there
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(old|new)-(\d+)$/.exec(name.slice(prefix.length)) : null;
    if (!m || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    const at = path.join(parent, name);
    // Only a directory of this process's owner is one of ours; anything else is left alone.
    const st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (!st?.isDirectory() || st.uid !== process.geteuid?.()) continue;
    if (m[1] === 'old' && fs.lstatSync(dir, { throwIfNoEntry: false }) === undefined)
      fs.renameSync(at, dir);
    else fs.rmSync(at, { recursive: true, force: true });
  }
}

/**
 * Replace the directory `dir` (or create it) with one holding `tree`: written as
 * `DIR.keepsake-new-PID`, then swapped in by rename. Invariant: the old directory is renamed
 * aside, not removed, until the new one stands in its place; if that rename fails it is
 * renamed back. Only the caller's own output may be replaced this way: it is removed once
 * replaced, and the caller can write it again.
 */
export function replaceDirectory(dir: string, tree: NewTree): void {
  putBackAside(dir);
  const exists = fs.lstatSync(dir, { throwIfNoEntry: false }) !== undefined;
  const tmp = `${dir}.keepsake-new-${process.pid}`;
  const old = `${dir}.keepsake-old-${process.pid}`;
  // A leftover of an earlier run that had this pid: keepsake's own name, never renamed in.
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    writeTree(tmp, tree);
    if (exists) {
      fs.renameSync(dir, old);
      stepCounter('replace-directory')(); // crash tests: a kill with the old one set aside
    }
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      if (exists) fs.renameSync(old, dir);
      throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Make `parent/name` hold `tree` unless it already exists, for content named by a digest of
 * itself: written under a hidden temporary name, then renamed. Invariant: rename(2) never
 * replaces a non-empty directory, so one written meanwhile by another run (the same content)
 * is kept, and only this call's temporary copy is removed.
 */
export function placeDirectoryOnce(parent: string, name: string, tree: NewTree): void {
  const final = `${parent}/${name}`;
  const tmp = `${parent}/.tmp-${process.pid}-${randomHex(4)}`;
  try {
    writeTree(tmp, tree);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  try {
    fs.renameSync(tmp, final);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(final)) throw e;
  }
}

/**
 * Put `entries` into a directory others share, each replaced by rename (a file through
 * replaceFile, a link through replaceSymlink), so that each is old or new, never half.
 * Whether an entry there may be replaced at all is the caller's decision, made before.
 */
export function replaceEntries(dir: string, entries: readonly TreeEntry[]): string[] {
  const written: string[] = [];
  for (const e of entries) {
    const at = path.join(dir, e.path);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    if (e.symlink !== undefined) replaceSymlink(at, e.symlink);
    else
      replaceFile(path.dirname(at), path.basename(at), e.content ?? '', { mode: e.mode ?? 0o644 });
    written.push(at);
  }
  return written;
}
