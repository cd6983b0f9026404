// Escaped state: data that a program put where keepsake should have a bind mount or a link
// into the store, and that is therefore on the ephemeral file system. A file entry whose bind
// mount is gone, or a link into the store replaced by a regular file (an editor's or a
// program's "write a new file, rename it over the old one"), is the most common way data is
// lost silently. Pure: what is at each target comes through `Inspect` (one lstat per entry),
// and a directory's contents through `measure`.

import { topMountAt } from '../core/mount-table.js';
import { hostPath } from '../core/paths.js';
import type { MountInfo } from '../model/observed.js';
import type { PersistEntry } from '../model/types.js';
import type { EscapedState, EscapeReason, NodeKind } from './types.js';

export interface Measured {
  files: number;
  bytes: number;
  changed: number;
}

/** What an lstat of a path found: undefined when nothing is there. */
export interface Found {
  kind: NodeKind;
  size: number;
  mtimeMs: number;
}

/** How the scan looks at targets and stores (host paths); live.ts gives the real one. */
export interface Inspect {
  /** lstat: never follows a link. Throws when the path cannot be reached. */
  lstat(host: string): Found | undefined;
  /** Whether the store path leads to something (links followed, as a bind would). */
  exists(host: string): boolean;
}

/** What a target holds instead of the bind or link its entry expects, if anything. */
function escapeOf(
  entry: PersistEntry,
  st: Found,
  mounted: boolean,
  storeHolds: boolean,
  live: ReadonlySet<string> | undefined,
): EscapeReason | undefined {
  if (mounted || st.kind === 'symlink') return undefined;
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
  inspect: Inspect,
): EscapedState[] {
  const out: EscapedState[] = [];
  for (const entry of entries) {
    const host = hostPath(root, entry.target);
    // Something mounted at the target (the entry's bind, as a rule): nothing there escaped,
    // whatever lstat would say, so neither it nor the store is looked at.
    const mounted = topMountAt(mounts, host) !== undefined;
    if (mounted) continue;
    let st: Found | undefined;
    try {
      st = inspect.lstat(host);
    } catch {
      continue; // not reachable: status says why
    }
    if (st === undefined) continue;
    const storeHolds = inspect.exists(hostPath(root, entry.store));
    const reason = escapeOf(entry, st, mounted, storeHolds, live);
    if (reason === undefined) continue;
    const m: Measured =
      st.kind === 'directory'
        ? measure(host)
        : { files: 1, bytes: st.size, changed: st.mtimeMs > bootMs ? 1 : 0 };
    if (m.files === 0 && m.bytes === 0) continue; // nothing there to lose
    out.push({
      target: entry.target,
      store: entry.store,
      kind: entry.kind,
      reason,
      found: st.kind,
      ...m,
      fix: fixFor(entry, reason),
    });
  }
  return out.sort((a, b) => b.bytes - a.bytes || (a.target < b.target ? -1 : 1));
}
