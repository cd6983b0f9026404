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

/** `paths` and every directory above them, each once. */
export function closedAbove(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    for (let p = path; !out.has(p); ) {
      out.add(p);
      if (p === '/') break;
      const slash = p.lastIndexOf('/');
      p = slash <= 0 ? '/' : p.slice(0, slash);
    }
  }
  return out;
}

/**
 * A filter for the lines of mountinfo texts: `lines(text)` is the lines of `text` whose mount
 * point is one of `paths.at` or a directory above one, or lies below one of `paths.inside`, in
 * their order, each with its newline. The mount point is read as parseMountInfo reads it (the
 * fifth field, unescaped). A line too short to have one is kept: keeping more than needed only
 * costs a settled re-apply.
 */
export function mountLineFilter(paths: MountPaths): (text: string) => string {
  const points = closedAbove(paths.at);
  const below = paths.inside.map((p) => `${p}/`);
  const kept = (point: string | undefined) =>
    point === undefined || points.has(point) || below.some((b) => point.startsWith(b));
  return (text) => {
    // Runs of lines kept, as [start, end) of the text: most lines are kept, and in runs.
    const runs: string[] = [];
    let runStart = -1;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      end = end < 0 ? text.length : end + 1;
      const keep = end - start > 1 && kept(mountPointOf(text, start, end));
      if (keep && runStart < 0) runStart = start;
      if (!keep && runStart >= 0) {
        runs.push(text.slice(runStart, start));
        runStart = -1;
      }
      start = end;
    }
    if (runStart >= 0) runs.push(text.slice(runStart));
    const out = runs.join('');
    return out === '' || out.endsWith('\n') ? out : `${out}\n`;
  };
}

/** The fifth space-separated field of the line text[start, end), unescaped; undefined if none. */
function mountPointOf(text: string, start: number, end: number): string | undefined {
  let at = start;
  for (let i = 0; i < 4; i++) {
    at = text.indexOf(' ', at) + 1;
    if (at === 0 || at >= end) return undefined;
  }
  let stop = text.indexOf(' ', at);
  if (stop < 0 || stop >= end) stop = text.charCodeAt(end - 1) === 10 ? end - 1 : end;
  return unescapeMountPath(text.slice(at, stop));
}
