// Which lines of /proc/self/mountinfo a plan's answers depend on. Every question the planner
// asks of the mount table (src/core/mount-table.ts) is about one path: what is mounted at it
// or above it (the mounts at the path and at each directory above; the parent of a mount is
// always at its own mount point or above), or what is mounted below it. So the lines whose
// mount point is the path or one above it, for every path asked about, and the lines whose
// mount point lies below one of the paths asked `inside`, answer all of them: any other line
// can come, go or change without changing one answer. The settled record keeps the paths asked
// about and the table as read (src/observe/observe.ts): a table that differs from it only in
// other lines (a user's login, a container, a USB stick mounted elsewhere) leaves a settled
// re-apply settled.

import { unescapeMountPath } from './mountinfo.js';

/** What the lines kept are chosen by: the paths asked what is at or above them, and those
 *  asked what is below them. */
export interface MountPaths {
  at: readonly string[];
  inside: readonly string[];
}

/** The fifth space-separated field of a mountinfo line, unescaped, as parseMountInfo reads
 *  the mount point; undefined if the line has none. */
function mountPointOf(line: string): string | undefined {
  let at = 0;
  for (let i = 0; i < 4; i++) {
    at = line.indexOf(' ', at) + 1;
    if (at === 0) return undefined;
  }
  const stop = line.indexOf(' ', at);
  return unescapeMountPath(line.slice(at, stop < 0 ? line.length : stop));
}

/** The lines of a mountinfo text, each without its newline (an empty last one left out). */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Whether `before` and `now` (mountinfo texts) have the same lines kept (those whose mount
 * point is one of `paths.at` or a directory above one, or lies below one of `paths.inside`; a
 * line without a mount point is kept), in the same order, found without sorting every line:
 * the lines only one of them has must all be lines left out, and the lines both have must come
 * in the same order. (Lines that moved answer false, which costs only a plan.) Most of two
 * tables a mount apart are the same lines, so only the few that differ are looked at.
 */
export function sameMountLines(before: string, now: string, paths: MountPaths): boolean {
  const old = linesOf(before);
  const cur = linesOf(now);
  const inOld = new Set(old);
  const inCur = new Set(cur);
  const kept = lineFilter(paths);
  for (const line of old) if (!inCur.has(line) && kept(line)) return false;
  for (const line of cur) if (!inOld.has(line) && kept(line)) return false;
  // The lines both have, in the order of each.
  let i = 0;
  for (const line of cur) {
    if (!inOld.has(line)) continue;
    while (i < old.length && !inCur.has(old[i] as string)) i++;
    if (old[i] !== line) return false;
    i++;
  }
  return true;
}

/** Whether a line (without its newline) is kept; made for a few lines: the paths are
 *  searched, not indexed. */
function lineFilter(paths: MountPaths): (line: string) => boolean {
  // Every path between NULs, which no path holds: `\0P\0` or `\0P/` finds P or one below it.
  const joined = `\0${paths.at.join('\0')}\0`;
  const below = paths.inside.map((p) => `${p}/`);
  return (line) => {
    const point = mountPointOf(line);
    if (point === undefined) return true;
    if (below.some((b) => point.startsWith(b))) return true;
    if (paths.at.length === 0) return false;
    if (point === '/') return true;
    return joined.includes(`\0${point}\0`) || joined.includes(`\0${point}/`);
  };
}
