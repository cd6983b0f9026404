// /proc/self/mountinfo: a fast split-based parser (queries over the table: mount-table.ts).

import type { MountInfo } from '../model/observed.js';

/** The kernel escapes space, tab, newline and backslash in paths as `\ooo`. */
export function unescapeMountPath(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/**
 * `36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue`:
 * id, parent, device, root, mount point, options, optional fields, `-`, type, source, options.
 */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    let dash = 6;
    while (dash < f.length && f[dash] !== '-') dash++;
    if (f.length < 7 || dash === f.length) continue; // malformed: skip rather than guess
    mounts.push({
      id: Number(f[0]),
      parentId: Number(f[1]),
      device: f[2]!,
      root: unescapeMountPath(f[3]!),
      mountPoint: unescapeMountPath(f[4]!),
      options: f[5]!,
      propagation: f.slice(6, dash),
      fsType: unescapeMountPath(f[dash + 1] ?? ''),
      source: unescapeMountPath(f[dash + 2] ?? ''),
      superOptions: f[dash + 3] ?? '',
    });
  }
  return mounts;
}

/** The mount table of this process's namespace; reads a file, never spawns. */
