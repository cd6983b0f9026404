// Putting a finished copy, made under a temporary name beside its destination, in place: as
// a new name (never over anything), or, when asked, over what is there, keeping that. All
// through the verified descriptor of the directory, so no link is followed on the way, and
// each change made durable by an fsync of the directory.

import * as fs from 'node:fs';
import { TargetAppearedError, TargetChangedError } from '../errors.js';
import { removeName, syncDirectories } from './copy-file.js';
import { withVerifiedPath } from './safe-fs.js';

/** What a replaced file was when it was checked. */
export interface Seen {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export function seenOf(st: fs.Stats): Seen {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

const same = (a: Seen, st: fs.Stats) =>
  a.dev === st.dev &&
  a.ino === st.ino &&
  a.size === st.size &&
  a.mtimeMs === st.mtimeMs &&
  a.ctimeMs === st.ctimeMs;

/**
 * `dir/temp` becomes `dir/name`, which must not exist. Invariant: link(2) fails when the
 * name exists, so whatever appeared there meanwhile is never overwritten (TargetAppearedError);
 * the temporary name then goes, and only it. `afterLink` runs between the link and the
 * removal of the temporary name (both names are the same file then).
 */
export function placeNew(dir: string, temp: string, name: string, afterLink?: () => void): void {
  withVerifiedPath(dir, 'directory', (d) => {
    try {
      fs.linkSync(`${d}/${temp}`, `${d}/${name}`);
    } catch (error) {
      fs.rmSync(`${d}/${temp}`, { force: true });
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new TargetAppearedError(
          'it appeared while it was restored; keepsake does not overwrite it',
        );
      throw error;
    }
    afterLink?.();
    fs.unlinkSync(`${d}/${temp}`);
  });
  syncDirectories([dir]);
}

/**
 * `dir/temp` replaces `dir/name`, a file or link that was `seen` when it was checked.
 * Invariants: what is replaced is exactly what was checked (TargetChangedError otherwise: a
 * process writing it is never cut off mid-write); and it is not deleted but kept, as a
 * second name `<name><prefix><stamp>[-N]` made before the rename, so that nothing is lost
 * even by a process that still holds it open and writes after the rename. A name kept by
 * an earlier run cut short (`<name><prefix>*`, the same file) is used again. Returns the kept name.
 * `afterKeep` runs between keeping the old file and the rename.
 */
export function placeReplacing(
  dir: string,
  temp: string,
  name: string,
  seen: Seen,
  kept: { prefix: string; stamp: string },
  afterKeep?: () => void,
): string {
  const keptName = withVerifiedPath(dir, 'directory', (d) => {
    try {
      const now = fs.lstatSync(`${d}/${name}`, { throwIfNoEntry: false });
      if (now === undefined || now.isDirectory() || !same(seen, now))
        throw new TargetChangedError(
          now === undefined
            ? 'it was removed while it was restored; nothing was replaced'
            : 'it changed while it was restored (something writes it); nothing was replaced',
        );
      const base = `${name.slice(0, 200)}${kept.prefix}`;
      // Only a file with a second name can have been kept already: one listing then, none else.
      let keptAs =
        now.nlink > 1
          ? fs
              .readdirSync(d)
              .filter((n) => n.startsWith(base))
              .find((n) => {
                const st = fs.lstatSync(`${d}/${n}`, { throwIfNoEntry: false });
                return st !== undefined && st.dev === now.dev && st.ino === now.ino;
              })
          : undefined;
      for (let i = 1; keptAs === undefined; i++) {
        const candidate = `${base}${kept.stamp}${i === 1 ? '' : `-${i}`}`;
        try {
          fs.linkSync(`${d}/${name}`, `${d}/${candidate}`);
          keptAs = candidate;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
      afterKeep?.();
      fs.renameSync(`${d}/${temp}`, `${d}/${name}`);
      return keptAs;
    } catch (error) {
      fs.rmSync(`${d}/${temp}`, { force: true });
      throw error;
    }
  });
  syncDirectories([dir]);
  return keptName;
}

/**
 * A temporary name left by a run cut short, removed when it holds nothing of its own: the
 * same file as the destination (cut short between link and unlink), or what `isCopy` says
 * is a copy, whole or partial, of what is still kept elsewhere. Returns whether it is gone
 * (true when there was none); one that is neither is left, for the caller to name.
 */
export function removeLeftover(
  dir: string,
  temp: string,
  name: string,
  isCopy: (proc: string, st: fs.Stats) => boolean,
): boolean {
  return withVerifiedPath(dir, 'directory', (d) => {
    const st = fs.lstatSync(`${d}/${temp}`, { throwIfNoEntry: false });
    if (st === undefined) return true;
    const dest = fs.lstatSync(`${d}/${name}`, { throwIfNoEntry: false });
    const sameFile = dest !== undefined && dest.dev === st.dev && dest.ino === st.ino;
    if (!sameFile && !isCopy(`${d}/${temp}`, st)) return false;
    removeName(dir, temp);
    return true;
  });
}
