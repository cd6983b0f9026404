// The observer: looks at the live system once, without changing it, and returns plain data
// for the planner. It never follows a symlink (lstat only) and never spawns a process.

import * as fs from 'node:fs';
import type { Model } from '../model/types.js';
import { hostPath } from '../plan/paths.js';
import { pathsToObserve } from '../plan/view.js';
import { topMountAt } from './mount-table.js';
import { readMountInfo } from './mountinfo.js';
import type { ContentSummary, Observed, PathState } from './types.js';
import { readUtab } from './utab.js';

const MISSING: PathState = { type: 'missing', uid: 0, gid: 0, mode: 0, size: 0, dev: 0, ino: 0 };
/** A refusal message needs an idea of how much is in the way, not an exact census. */
const SUMMARY_LIMIT = 20_000;

export function observe(model: Model, root: string): Observed {
  const mounts = readMountInfo();
  const paths: Record<string, PathState> = {};
  const contents: Record<string, ContentSummary> = {};
  const targets = targetPaths(model);
  for (const p of pathsToObserve(model.entries)) {
    const host = hostPath(root, p);
    const st = lstatState(host, targets.has(p));
    paths[host] = st;
    if (st.empty === false && targets.has(p) && !topMountAt(mounts, host)) {
      contents[host] = summarise(host);
    }
  }
  return { root, paths, contents, mounts, utab: readUtab(hostPath(root, '/run/mount/utab')) };
}

/** Targets, also as seen through each enclosing directory entry's store. */
function targetPaths(model: Model): Set<string> {
  const out = new Set<string>();
  const dirs = model.entries.filter((e) => e.kind === 'directory');
  for (const e of model.entries) {
    out.add(e.target);
    for (const d of dirs) {
      if (e.target.startsWith(`${d.target}/`)) out.add(d.store + e.target.slice(d.target.length));
    }
  }
  return out;
}

function lstatState(path: string, wantEmpty: boolean): PathState {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return MISSING;
    throw e;
  }
  const base = {
    uid: st.uid,
    gid: st.gid,
    mode: st.mode & 0o7777,
    size: st.size,
    dev: st.dev,
    ino: st.ino,
  };
  if (st.isSymbolicLink()) return { type: 'symlink', ...base, linkTarget: fs.readlinkSync(path) };
  if (st.isFile()) return { type: 'file', ...base };
  if (st.isDirectory())
    return { type: 'directory', ...base, ...(wantEmpty ? { empty: isEmptyDir(path) } : {}) };
  return { type: 'other', ...base };
}

function isEmptyDir(path: string): boolean {
  const dir = fs.opendirSync(path);
  try {
    return dir.readSync() === null;
  } finally {
    dir.closeSync();
  }
}

/** Count what lies in a directory (without following links or crossing mounts). */
export function summarise(path: string): ContentSummary {
  const out: ContentSummary = { files: 0, directories: 0, bytes: 0, sample: [], truncated: false };
  const rootDev = fs.lstatSync(path).dev;
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(path + rel, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const d of names) {
      if (out.files + out.directories >= SUMMARY_LIMIT) {
        out.truncated = true;
        return out;
      }
      const child = `${rel}/${d.name}`;
      if (out.sample.length < 5) out.sample.push(child.slice(1));
      if (d.isDirectory()) {
        out.directories++;
        if (fs.lstatSync(path + child).dev === rootDev) stack.push(child);
      } else {
        out.files++;
        if (d.isFile()) out.bytes += fs.lstatSync(path + child).size;
      }
    }
  }
  return out;
}
