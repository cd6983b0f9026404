// The writes of a home run. They are made only by the process that acts for the home's user:
// the user's own `keepsake home`, or the child that root starts dropped to the user's ids
// (home/as-user.ts). Root never calls them, so a link planted in a home or home store can
// lead only the user's own process, under the kernel's permission checks, anywhere.

import * as fs from 'node:fs';
import { replaceSymlink } from './atomic-write.js';

function linkTo(path: string): string | undefined {
  try {
    return fs.readlinkSync(path);
  } catch {
    return undefined;
  }
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** `path` and its missing parents, private to the user (0700 less the umask). */
export function makePrivateDir(path: string): void {
  fs.mkdirSync(path, { recursive: true, mode: 0o700 });
}

/**
 * Move `from` to the free name `to` (a backup). Invariant: never over anything: a file or link
 * that appeared at `to` since the plan stops the move, and both stay as they are.
 */
export function moveToFreeName(from: string, to: string): void {
  if (fs.existsSync(to) || linkTo(to) !== undefined)
    throw new Error(`${to} appeared meanwhile; not overwriting it`);
  fs.renameSync(from, to);
}

/**
 * Remove what the plan found removable at `path` (a copy identical to keepsake's content, or
 * one the declaration forces away); false when it is already gone. Invariant: a directory is
 * removed only while empty (rmdir), never with what is in it.
 */
export function removeEntry(path: string): boolean {
  const st = fs.lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return false;
  if (st.isDirectory()) fs.rmdirSync(path);
  else fs.unlinkSync(path);
  return true;
}

/**
 * Remove the link at `path` while it still points to `to`; false when it does not. Invariant:
 * only the link keepsake made: one the user changed meanwhile is left alone.
 */
export function removeLinkTo(path: string, to: string): boolean {
  if (linkTo(path) !== to) return false;
  fs.unlinkSync(path);
  return true;
}

/** Remove the directory `path` if it is empty. Invariant: one with anything in it is kept. */
export function removeEmptyDir(path: string): 'done' | 'gone' | 'kept' {
  try {
    fs.rmdirSync(path);
    return 'done';
  } catch (e) {
    if (code(e) === 'ENOENT') return 'gone';
    if (code(e) === 'ENOTEMPTY' || code(e) === 'EEXIST') return 'kept';
    throw e;
  }
}

/** Make the directory `path` (0755 less the umask); false when one is there already. */
export function makeDir(path: string, parents: boolean): boolean {
  if (fs.lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) return false;
  fs.mkdirSync(path, { mode: 0o755, recursive: parents });
  return true;
}

/**
 * Make `path` a link to `to`; false when it is one already. An existing link, or what the
 * plan allows to be replaced, is replaced in one rename (the path never goes missing);
 * otherwise symlink(2) refuses anything that appeared at `path` meanwhile. Invariant: nothing
 * of the user's is overwritten that the plan did not find replaceable.
 */
export function placeLink(path: string, to: string, replace: boolean): boolean {
  if (linkTo(path) === to) return false;
  if (replace || linkTo(path) !== undefined) replaceSymlink(path, to);
  else fs.symlinkSync(to, path);
  return true;
}

/** Remove a generation record. The caller removes only records no apply needs any more. */
export function removeRecord(path: string): void {
  fs.rmSync(path, { force: true });
}

/**
 * Remove stored content (a file or a directory blob of the home store). Invariant: the caller
 * removes only content that no remaining generation links to, so no link in the home is left
 * pointing to nothing; it is keepsake's copy of a declared text or source, made again from
 * the declaration if it is ever declared again.
 */
export function removeStoredContent(path: string): void {
  fs.chmodSync(path, 0o700); // content is read-only; its directory entries must be writable
  fs.rmSync(path, { recursive: true, force: true });
}
