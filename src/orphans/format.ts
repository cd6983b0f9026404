// Plain-text descriptions of orphans and of what prune deletes. Pure: returns strings.

import { count, formatBytes } from '../core/text.js';
import type { Orphan } from './types.js';

/** `12 files, 3 directories`: what a tree holds (a directory counts itself). */
export function describeCounts(c: { files: number; directories: number }): string {
  return `${count(c.files, 'file')}, ${count(c.directories, 'directory', 'directories')}`;
}

/** `2024-05-01 12:00` (UTC). */
export function shortTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** The size column, right-aligned to the widest value that can appear (`1023.9 KiB`). */
export function sizeColumn(bytes: number): string {
  return formatBytes(bytes).padStart(10);
}

export function describeOrphan(o: Orphan): string {
  const what =
    o.kind === 'directory'
      ? `directory, ${describeCounts(o)}`
      : o.kind.replace('other', 'special file');
  return `${sizeColumn(o.bytes)}  ${o.path}  (${what}; newest ${shortTime(o.newest)})`;
}

/** Orphans by store, in the order given: `[store, orphans]`. */
export function byStore(orphans: readonly Orphan[]): Array<[string, Orphan[]]> {
  const groups = new Map<string, Orphan[]>();
  for (const o of orphans) groups.set(o.store, [...(groups.get(o.store) ?? []), o]);
  return [...groups];
}
