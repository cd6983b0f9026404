// `keepsake salvage restore`: copies salvaged files back, with their owner, mode, times and
// extended attributes. Every check comes before the first change: each destination must be
// free (or, with `--force`, a file or link, never a directory). A file is written under a
// temporary name beside its destination and linked into place, so an existing file is never
// overwritten without `--force`, and a restore cut short leaves either the old state or the
// whole file. The salvage itself is only read.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as posix from 'node:path/posix';
import { hostPath, isWithin } from '../core/paths.js';
import { UsageError } from '../errors.js';
import { mkdirSafe, symlinkSafe, withVerifiedPath } from '../system/safe-fs.js';
import { copyContent, copyXattrs } from './copy.js';
import {
  FILES_DIR,
  listSalvages,
  type SalvagedFile,
  type StoredSalvage,
  salvageDir,
} from './record.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fs.constants;

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
  /** An existing file or link replaced (only with --force). */
  replaces: boolean;
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

/** What a restore would do; reads only, and refuses before anything is written. */
export function planRestore(req: RestoreRequest): RestoreItem[] {
  const salvages = pickBoot(listSalvages(req.root, req.store), req.boot);
  const items: RestoreItem[] = [];
  for (const path of req.paths) {
    const from = salvages.find((s) => s.record?.files.some((f) => isWithin(f.path, path)));
    if (from?.record === undefined) {
      throw new UsageError(
        `${path} is in no salvage${req.boot ? ` of ${req.boot}` : ''}`,
        'keepsake salvage list shows what each boot salvaged',
      );
    }
    for (const file of from.record.files.filter((f) => isWithin(f.path, path))) {
      const dest =
        req.to === undefined
          ? file.path
          : posix.join(req.to, posix.basename(path), file.path.slice(path.length));
      const st = fs.lstatSync(hostPath(req.root, dest), { throwIfNoEntry: false });
      if (st?.isDirectory())
        throw new UsageError(
          `${dest} is a directory; a salvaged ${file.type} cannot replace it`,
          'move it aside, or restore with --to DIR',
        );
      if (st !== undefined && !req.force) {
        throw new UsageError(
          `${dest} exists; keepsake does not overwrite it`,
          `restore with --force to replace it, or with --to DIR to put the salvaged copy elsewhere`,
        );
      }
      items.push({ file, boot: from.boot, dest, replaces: st !== undefined });
    }
  }
  return items;
}

/** The directories on the way to `dest`, made as the salvage recorded them where it can. */
function parents(req: RestoreRequest, item: RestoreItem): void {
  const filesHost = hostPath(req.root, `${salvageDir(req.store)}/${item.boot}/${FILES_DIR}`);
  const missing: string[] = [];
  for (let d = posix.dirname(item.dest); d !== '/'; d = posix.dirname(d)) {
    if (fs.lstatSync(hostPath(req.root, d), { throwIfNoEntry: false }) !== undefined) break;
    missing.unshift(d);
  }
  for (const d of missing) {
    // Its salvaged copy's owner and mode, when the directory was salvaged on the way to a file.
    const original = req.to === undefined ? d : undefined;
    const st = original
      ? fs.lstatSync(`${filesHost}${original}`, { throwIfNoEntry: false })
      : undefined;
    const own = st?.isDirectory() ? st : undefined;
    mkdirSafe(hostPath(req.root, d), own?.uid ?? 0, own?.gid ?? 0, own ? own.mode & 0o7777 : 0o755);
  }
}

function restoreFile(req: RestoreRequest, item: RestoreItem): void {
  const source = hostPath(
    req.root,
    `${salvageDir(req.store)}/${item.boot}/${FILES_DIR}${item.file.path}`,
  );
  const dest = hostPath(req.root, item.dest);
  const name = posix.basename(dest);
  const temp = `.${name.slice(0, 200)}.keepsake-restore.${randomBytes(4).toString('hex')}`;
  withVerifiedPath(posix.dirname(dest), 'directory', (dir) => {
    if (item.file.type === 'link') {
      const to = withVerifiedPath(posix.dirname(source), 'directory', (s) =>
        fs.readlinkSync(`${s}/${posix.basename(source)}`),
      );
      symlinkSafe(`${posix.dirname(dest)}/${temp}`, to, item.file.uid, item.file.gid);
      const mtime = new Date(item.file.mtime);
      fs.lutimesSync(`${dir}/${temp}`, mtime, mtime);
    } else {
      const src = withVerifiedPath(source, 'file', (proc) => fs.openSync(proc, O_RDONLY));
      try {
        const dst = fs.openSync(`${dir}/${temp}`, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
        try {
          const st = copyContent(src, dst, item.dest, Number.POSITIVE_INFINITY);
          copyXattrs(src, dst);
          fs.fchownSync(dst, st.uid, st.gid);
          fs.fchmodSync(dst, st.mode & 0o7777);
          fs.futimesSync(dst, st.atime, st.mtime);
          fs.fsyncSync(dst);
        } catch (error) {
          fs.rmSync(`${dir}/${temp}`, { force: true });
          throw error;
        } finally {
          fs.closeSync(dst);
        }
      } finally {
        fs.closeSync(src);
      }
    }
    try {
      if (item.replaces) {
        // --force: the salvaged copy replaces the file or link there, in one rename.
        fs.renameSync(`${dir}/${temp}`, `${dir}/${name}`);
      } else {
        // link(2) fails if something appeared meanwhile: never an overwrite without --force.
        fs.linkSync(`${dir}/${temp}`, `${dir}/${name}`);
        fs.unlinkSync(`${dir}/${temp}`);
      }
    } catch (error) {
      fs.rmSync(`${dir}/${temp}`, { force: true });
      throw error;
    }
  });
}

export function restore(req: RestoreRequest, onItem?: (item: RestoreItem) => void): RestoreItem[] {
  const items = planRestore(req);
  for (const item of items) {
    parents(req, item);
    restoreFile(req, item);
    onItem?.(item);
  }
  return items;
}
