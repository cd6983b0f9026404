// What `keepsake salvage restore` will do, decided before the first change: which salvaged
// file goes where, and every check: no link on the way to a destination (a planted one is
// refused, never followed), no other file system mounted inside the tree restored (what is
// restored goes to the file system it was salvaged from, not into a disk mounted since), no
// directory where a file goes, and nothing overwritten without `--force`. A destination
// that holds the salvaged file already (a restore cut short) is recognised, not refused.
// Only reads.

import * as fs from 'node:fs';
import * as posix from 'node:path/posix';
import { hostPath, isWithin } from '../core/paths.js';
import { UsageError } from '../errors.js';
import type { MountInfo } from '../model/observed.js';
import { readMountInfo } from '../system/mountinfo.js';
import { type Seen, seenOf } from '../system/place-file.js';
import { lstatOrNull, withVerifiedPath } from '../system/safe-fs.js';
import {
  FILES_DIR,
  listSalvages,
  type SalvagedFile,
  type StoredSalvage,
  salvageDir,
} from './record.js';

const { O_RDONLY, O_NOFOLLOW } = fs.constants;

export interface RestoreRequest {
  root: string;
  store: string;
  /** System paths: files, or directories whose salvaged files all come back. */
  paths: string[];
  /** A boot's directory name (or a unique prefix of one); default: the newest holding each path. */
  boot?: string;
  /** Put them under this directory (as `DIR/<name of PATH>/...`) instead of where they were. */
  to?: string;
  force: boolean;
}

export interface RestoreItem {
  file: SalvagedFile;
  boot: string;
  /** Where it goes, as the booted system sees it. */
  dest: string;
  /** Host path of the salvaged copy. */
  source: string;
  /** An existing file or link replaced (only with --force). */
  replaces: boolean;
  /** What is replaced, as it was checked. */
  seen?: Seen;
  /** The destination holds the salvaged file already: nothing to do. */
  already: boolean;
  /** How the command says what was done, after the path: '', ' (there already)', ... */
  note: string;
}

function pickBoot(salvages: StoredSalvage[], boot: string | undefined): StoredSalvage[] {
  if (boot === undefined) return [...salvages].reverse(); // newest first
  const exact = salvages.filter((s) => s.boot === boot);
  const found = exact.length > 0 ? exact : salvages.filter((s) => s.boot.startsWith(boot));
  if (found.length !== 1) {
    throw new UsageError(
      found.length === 0
        ? `no salvage of a boot named ${boot}`
        : `${boot} names ${found.length} salvaged boots`,
      'keepsake salvage list shows the boots salvaged',
    );
  }
  return found;
}

/** The part of the way to `destHost` that exists holds no link: verified, or refused. */
function checkWay(destHost: string): void {
  let d = posix.dirname(destHost);
  while (d !== '/' && lstatOrNull(d) === null) d = posix.dirname(d);
  withVerifiedPath(d, 'directory', () => undefined);
}

/** Refuses a destination on another file system mounted inside the tree restored. */
function checkMounts(root: string, mounts: readonly MountInfo[], top: string, dest: string) {
  const topHost = hostPath(root, top);
  const destHost = hostPath(root, dest);
  for (const m of mounts) {
    const at = m.mountPoint;
    if (!isWithin(destHost, at) || !isWithin(at, topHost)) continue;
    if (at === topHost && destHost !== at) continue; // the tree's own file system
    const shown = root === '/' ? at : at.slice(root.length);
    throw new UsageError(
      `another file system is mounted at ${shown} inside ${top} (${m.fsType}); keepsake does not restore into it`,
      'unmount it first, or restore elsewhere with --to DIR',
    );
  }
}

/** The first `size` bytes of two descriptors' files are the same. */
function sameContent(a: number, b: number, size: number): boolean {
  const x = Buffer.allocUnsafe(1 << 16);
  const y = Buffer.allocUnsafe(1 << 16);
  for (let pos = 0; pos < size; ) {
    const want = Math.min(x.length, size - pos);
    const n = fs.readSync(a, x, 0, want, pos);
    const m = fs.readSync(b, y, 0, want, pos);
    if (n !== m || n === 0 || !x.subarray(0, n).equals(y.subarray(0, n))) return false;
    pos += n;
  }
  return true;
}

/**
 * Whether `candidate` (a /proc alias or path opened without following a last link) holds
 * the salvaged copy at `source`, or, with `prefix`, the start of it (a copy cut short).
 */
export function holdsCopyOf(
  source: string,
  candidate: string,
  st: fs.Stats,
  type: SalvagedFile['type'],
  prefix = false,
): boolean {
  return withVerifiedPath(posix.dirname(source), 'directory', (dir) => {
    const entry = `${dir}/${posix.basename(source)}`;
    const want = fs.lstatSync(entry, { throwIfNoEntry: false });
    if (want === undefined) return false;
    if (type === 'link')
      return st.isSymbolicLink() && fs.readlinkSync(candidate) === fs.readlinkSync(entry);
    if (!st.isFile() || !want.isFile()) return false;
    if (prefix ? st.size > want.size : st.size !== want.size) return false;
    if (!prefix && (st.uid !== want.uid || st.gid !== want.gid || st.mode !== want.mode))
      return false;
    const a = fs.openSync(candidate, O_RDONLY | O_NOFOLLOW);
    try {
      const b = fs.openSync(entry, O_RDONLY | O_NOFOLLOW);
      try {
        return sameContent(a, b, st.size);
      } finally {
        fs.closeSync(b);
      }
    } finally {
      fs.closeSync(a);
    }
  });
}

/** The destination as it is, read through its verified parent (undefined: none, or no parent). */
function destState(destHost: string): fs.Stats | undefined {
  const parent = posix.dirname(destHost);
  if (lstatOrNull(parent) === null) return undefined;
  return withVerifiedPath(parent, 'directory', (dir) =>
    fs.lstatSync(`${dir}/${posix.basename(destHost)}`, { throwIfNoEntry: false }),
  );
}

/** What a restore would do; reads only, and refuses before anything is written. */
export function planRestore(req: RestoreRequest): RestoreItem[] {
  const salvages = pickBoot(listSalvages(req.root, req.store), req.boot);
  const mounts = readMountInfo();
  const items: RestoreItem[] = [];
  for (const path of req.paths) {
    const from = salvages.find((s) => s.record?.files.some((f) => isWithin(f.path, path)));
    if (from?.record === undefined) {
      throw new UsageError(
        `${path} is in no salvage${req.boot ? ` of ${req.boot}` : ''}`,
        'keepsake salvage list shows what each boot salvaged',
      );
    }
    const top = req.to === undefined ? path : posix.join(req.to, posix.basename(path));
    for (const file of from.record.files.filter((f) => isWithin(f.path, path))) {
      const dest = req.to === undefined ? file.path : posix.join(top, file.path.slice(path.length));
      const destHost = hostPath(req.root, dest);
      const source = hostPath(
        req.root,
        `${salvageDir(req.store)}/${from.boot}/${FILES_DIR}${file.path}`,
      );
      checkWay(destHost);
      checkMounts(req.root, mounts, top, dest);
      const st = destState(destHost);
      if (st?.isDirectory())
        throw new UsageError(
          `${dest} is a directory; a salvaged ${file.type} cannot replace it`,
          'move it aside, or restore with --to DIR',
        );
      const already =
        st !== undefined &&
        withVerifiedPath(posix.dirname(destHost), 'directory', (dir) =>
          holdsCopyOf(source, `${dir}/${posix.basename(destHost)}`, st, file.type),
        );
      if (st !== undefined && !already && !req.force) {
        throw new UsageError(
          `${dest} exists; keepsake does not overwrite it`,
          `restore with --force to replace it, or with --to DIR to put the salvaged copy elsewhere`,
        );
      }
      const replaces = st !== undefined && !already;
      items.push({
        file,
        boot: from.boot,
        dest,
        source,
        replaces,
        ...(replaces ? { seen: seenOf(st) } : {}),
        already,
        note: '',
      });
    }
  }
  return items;
}
