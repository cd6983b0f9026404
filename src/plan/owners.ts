// Who owns the directories keepsake creates, and with which mode. The rules, in order:
// the user's home (and its store equivalent) is the user's, 0700; other directories inside a
// home are the user's, 0755; the entry's immediate parent follows `parentDirectory`; anything
// else is root's, 0755. Existing directories are never touched by these rules.

import { isWithin, parentOf } from '../core/paths.js';
import type { PersistEntry } from '../model/types.js';
import type { Side } from './types.js';

export interface Owner {
  uid: number;
  gid: number;
  mode: number;
}

const ROOT_DIR: Owner = { uid: 0, gid: 0, mode: 0o755 };

/** The store-side equivalent of the entry's home: the store path minus the in-home part. */
export function storeHomeOf(entry: PersistEntry): string | undefined {
  if (!entry.home) return undefined;
  const rel = entry.target.slice(entry.home.path.length); // e.g. `/.ssh`
  return entry.store.endsWith(rel)
    ? entry.store.slice(0, entry.store.length - rel.length)
    : undefined;
}

export function ownerForCreatedDir(entry: PersistEntry, path: string, side: Side): Owner {
  const self = side === 'target' ? entry.target : entry.store;
  const home = side === 'target' ? entry.home?.path : storeHomeOf(entry);
  const parents = { uid: entry.parents.uid, gid: entry.parents.gid, mode: entry.parents.mode };
  if (entry.home && home !== undefined) {
    const user = { uid: entry.home.uid, gid: entry.home.gid };
    if (path === home) return { ...user, mode: 0o700 };
    if (isWithin(path, home)) return path === parentOf(self) ? parents : { ...user, mode: 0o755 };
    return ROOT_DIR;
  }
  return path === parentOf(self) ? parents : ROOT_DIR;
}
