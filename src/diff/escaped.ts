// Escaped state: data that a program put where keepsake should have a bind mount or a link
// into the store, and that is therefore on the ephemeral file system. A file entry whose bind
// mount is gone, or a link into the store replaced by a regular file (an editor's or a
// program's "write a new file, rename it over the old one"), is the most common way data is
// lost silently. Read-only: one lstat per entry, and a walk of what is found.

import * as fs from 'node:fs';
import { APPLIED, readApplied } from '../generations/store.js';
import type { PersistEntry } from '../model/types.js';
import { topMountAt } from '../observe/mount-table.js';
import type { MountInfo } from '../observe/types.js';
import { hostPath } from '../plan/paths.js';
import type { EscapedState, EscapeReason, NodeKind } from './types.js';

export interface Measured {
  files: number;
  bytes: number;
  changed: number;
}

function kindOf(st: fs.Stats): NodeKind {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** What a target holds instead of the bind or link its entry expects, if anything. */
function escapeOf(
  entry: PersistEntry,
  st: fs.Stats,
  mounted: boolean,
  storeHolds: boolean,
  live: ReadonlySet<string> | undefined,
): EscapeReason | undefined {
  if (mounted || st.isSymbolicLink()) return undefined;
  if (live !== undefined && !live.has(entry.target)) return 'not-applied';
  if (entry.method === 'symlink') return 'link-replaced';
  // `auto`: a directory is always bound; a file is bound once the store holds it, linked before.
  if (entry.kind === 'file' && !storeHolds) return 'link-replaced';
  return 'not-mounted';
}

function fixFor(entry: PersistEntry, reason: EscapeReason): string {
  const how = {
    'not-mounted': `binds ${entry.store} over it again`,
    'link-replaced': `links it into ${entry.store} again`,
    'not-applied': 'sets the entry up',
  }[reason];
  return `keepsake apply --adopt: moves this data into the store (or, when the store already has data, sets it aside in ${entry.storeRoot}/.keepsake/backup/) and ${how}`;
}

/**
 * The entries whose targets hold data of their own on the ephemeral file system. `live` holds
 * the targets keepsake set up in this boot (undefined when that cannot be read); `measure`
 * sums a directory's contents (host path); a file is measured by its lstat.
 */
export function findEscaped(
  entries: readonly PersistEntry[],
  root: string,
  mounts: readonly MountInfo[],
  bootMs: number,
  live: ReadonlySet<string> | undefined,
  measure: (host: string) => Measured,
): EscapedState[] {
  const out: EscapedState[] = [];
  for (const entry of entries) {
    const host = hostPath(root, entry.target);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(host, { throwIfNoEntry: false });
    } catch {
      continue; // not reachable: status says why
    }
    if (st === undefined) continue;
    const mounted = topMountAt(mounts, host) !== undefined;
    const storeHolds = fs.existsSync(hostPath(root, entry.store));
    const reason = escapeOf(entry, st, mounted, storeHolds, live);
    if (reason === undefined) continue;
    const m: Measured = st.isDirectory()
      ? measure(host)
      : { files: 1, bytes: st.size, changed: st.mtimeMs > bootMs ? 1 : 0 };
    if (m.files === 0 && m.bytes === 0) continue; // nothing there to lose
    out.push({
      target: entry.target,
      store: entry.store,
      kind: entry.kind,
      reason,
      found: kindOf(st),
      ...m,
      fix: fixFor(entry, reason),
    });
  }
  return out.sort((a, b) => b.bytes - a.bytes || (a.target < b.target ? -1 : 1));
}

/**
 * The targets of the generation live in this boot; [] when none was applied; undefined when
 * its record cannot be read (as a user other than root), so that nothing is guessed.
 */
export function readLiveTargets(root: string): string[] | undefined {
  try {
    const live = readApplied(root);
    if (live !== undefined) return live.model.entries.map((e) => e.target);
    fs.lstatSync(hostPath(root, APPLIED));
    return undefined; // there, but not a record keepsake trusts
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? [] : undefined;
  }
}
