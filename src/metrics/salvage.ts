// How much the salvage runs kept: the sum of `bytes` of every complete record
// `<store>/.keepsake/salvage/<boot>/salvage.json`. Read-only and defensive: the records lie in
// stores, so a directory or record that is a link, not root's alone, not a regular file, too
// large, unparsable, of another version or not complete counts for nothing (a record still
// being written is incomplete by definition, and a link may point anywhere a user chose).

import fs from 'node:fs';
import { hostPath } from '../core/paths.js';
import type { Model } from '../model/types.js';
import { withVerifiedPath } from '../system/safe-fs.js';

const O_PATH = 0o10000000;
const { O_NOFOLLOW, O_DIRECTORY, O_RDONLY, O_NONBLOCK } = fs.constants;
/** A record is a few hundred bytes; anything near this is not one. */
const MAX_RECORD = 1 << 20;

/** Only what nobody but root can write is believed. */
function rootOnly(st: fs.Stats): boolean {
  return st.uid === 0 && (st.mode & 0o022) === 0;
}

/** The record's bytes when it is complete and believable, else 0. */
function recordBytes(dirProc: string, name: string): number {
  let dirFd: number | undefined;
  let fd: number | undefined;
  try {
    // O_NOFOLLOW on each component: a link in place of the boot's directory or its record
    // fails to open (ELOOP, ENOTDIR) and is skipped.
    dirFd = fs.openSync(`${dirProc}/${name}`, O_PATH | O_NOFOLLOW | O_DIRECTORY);
    if (!rootOnly(fs.fstatSync(dirFd))) return 0;
    // O_NONBLOCK: a FIFO planted as the record must not hang the run.
    fd = fs.openSync(`/proc/self/fd/${dirFd}/salvage.json`, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !rootOnly(st) || st.size > MAX_RECORD) return 0;
    const record = JSON.parse(fs.readFileSync(fd, 'utf8')) as Record<string, unknown>;
    const { version, complete, bytes } = record;
    if (version !== 1 || complete !== true) return 0;
    return typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : 0;
  } catch {
    return 0; // missing, unreadable, a link, or half-written JSON: not a complete record
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    if (dirFd !== undefined) fs.closeSync(dirFd);
  }
}

/** Bytes of the complete salvage records in `store`. */
function storeSalvaged(root: string, store: string): number {
  try {
    return withVerifiedPath(
      hostPath(root, `${store}/.keepsake/salvage`),
      'directory',
      (proc, st) => {
        if (!rootOnly(st)) return 0;
        let n = 0;
        for (const name of fs.readdirSync(proc)) n += recordBytes(proc, name);
        return n;
      },
    );
  } catch {
    return 0; // no salvage directory (nothing salvaged), or one with a link in its path
  }
}

/** Bytes kept by complete salvage runs, over every store of the model. */
export function salvagedBytes(model: Model, root: string): number {
  return model.stores.reduce((n, store) => n + storeSalvaged(root, store), 0);
}
