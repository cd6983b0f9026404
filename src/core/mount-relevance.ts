// Which lines of /proc/self/mountinfo a plan's answers depend on. Every question the planner
// asks of the mount table (src/core/mount-table.ts) is about one path: what is mounted at it
// or above it (the mounts at the path and at each directory above; the parent of a mount is
// always at its own mount point or above), or what is mounted below it. So the lines whose
// mount point is the path or one above it, for every path asked about, and the lines whose
// mount point lies below one of the paths asked `inside`, answer all of them: any other line
// can come, go or change without changing one answer. The settled record keeps a digest of
// those lines only (src/observe/observe.ts), so that a mount elsewhere (a user's login, a
// container, a USB stick) leaves a settled re-apply settled.

import { unescapeMountPath } from './mountinfo.js';

/** The paths asked about of a mount table, each list sorted (JavaScript's string order). */
export interface MountPaths {
  /** Asked what is at or above them. */
  at: readonly string[];
  /** Asked what is below them. */
  inside: readonly string[];
}

/** The index of the first element of `sorted` that is not less than `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `point` is one of `sorted` or a directory above one of them. */
function atOrAbove(point: string, sorted: readonly string[]): boolean {
  const i = lowerBound(sorted, point);
  if (sorted[i] === point) return true;
  // The paths below `point` start with `point/`, and sort together from there.
  const prefix = point === '/' ? '/' : `${point}/`;
  return sorted[lowerBound(sorted, prefix)]?.startsWith(prefix) === true;
}

/** `point` lies strictly below one of `paths`, as mountsInside asks it. */
function below(point: string, paths: readonly string[]): boolean {
  for (const p of paths) if (point.startsWith(`${p}/`)) return true;
  return false;
}

/** Whether `paths` holds two sorted lists of strings (a record read back is checked). */
export function isMountPaths(paths: unknown): paths is MountPaths {
  if (typeof paths !== 'object' || paths === null) return false;
  const { at, inside } = paths as Record<string, unknown>;
  const sorted = (list: unknown) =>
    Array.isArray(list) &&
    list.every((x, i) => typeof x === 'string' && (i === 0 || (list[i - 1] as string) < x));
  return sorted(at) && sorted(inside);
}

/**
 * The lines of `text` (mountinfo) whose mount point is at or above a path of `paths.at`, or
 * below one of `paths.inside`, in their order, each with its newline. The mount point is read
 * as parseMountInfo reads it (the fifth field, unescaped). A line too short to have one is
 * kept: keeping more than needed only costs a settled re-apply.
 */
export function relevantMountLines(text: string, paths: MountPaths): string {
  let out = '';
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line === '') continue;
    const point = mountPointOf(line);
    if (point === undefined || atOrAbove(point, paths.at) || below(point, paths.inside))
      out += `${line}\n`;
  }
  return out;
}

/** The fifth space-separated field of a mountinfo line, unescaped; undefined if none. */
function mountPointOf(line: string): string | undefined {
  let at = 0;
  for (let i = 0; i < 4; i++) {
    at = line.indexOf(' ', at) + 1;
    if (at === 0) return undefined;
  }
  const end = line.indexOf(' ', at);
  return unescapeMountPath(line.slice(at, end < 0 ? line.length : end));
}
