// /proc/self/mountinfo: a fast split-based parser and pure queries over the parsed table.

import { readFileSync } from 'node:fs';
import type { MountInfo } from './types.js';

/** The kernel escapes space, tab, newline and backslash in paths as `\ooo`. */
export function unescapeMountPath(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
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
export function readMountInfo(): MountInfo[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

interface Index {
  length: number;
  /** Visible mount at each mount point. */
  top: Map<string, MountInfo>;
}

const indexes = new WeakMap<readonly MountInfo[], Index>();

/**
 * A mount is visible when nothing is stacked on it (no mount at the same point has it as
 * parent) and its parent is visible too: overmounting `/a` hides an earlier `/a/b`.
 */
function indexOf(mounts: readonly MountInfo[]): Index {
  const cached = indexes.get(mounts);
  if (cached && cached.length === mounts.length) return cached;
  const byId = new Map<number, MountInfo>();
  const covered = new Set<number>();
  for (const m of mounts) byId.set(m.id, m);
  for (const m of mounts) {
    const parent = byId.get(m.parentId);
    if (parent && parent !== m && parent.mountPoint === m.mountPoint) covered.add(parent.id);
  }
  const memo = new Map<number, boolean>();
  const visible = (m: MountInfo): boolean => {
    const known = memo.get(m.id);
    if (known !== undefined) return known;
    memo.set(m.id, false); // guards against a malformed parent cycle
    const parent = byId.get(m.parentId);
    const result = !covered.has(m.id) && (!parent || parent === m || visible(parent));
    memo.set(m.id, result);
    return result;
  };
  const top = new Map<string, MountInfo>();
  for (const m of mounts) if (visible(m)) top.set(m.mountPoint, m); // later wins
  const index = { length: mounts.length, top };
  indexes.set(mounts, index);
  return index;
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p;
}

/** The visible mount whose mount point is exactly `path`, if any. */
export function topMountAt(mounts: readonly MountInfo[], path: string): MountInfo | undefined {
  return indexOf(mounts).top.get(trimSlash(path));
}

/** The visible mount holding `path`: the longest mount point that is a whole-component prefix. */
export function mountContaining(
  mounts: readonly MountInfo[],
  path: string,
): MountInfo | undefined {
  const { top } = indexOf(mounts);
  let p = trimSlash(path);
  for (;;) {
    const m = top.get(p);
    if (m) return m;
    if (p === '/' || p === '') return undefined;
    const slash = p.lastIndexOf('/');
    p = slash <= 0 ? '/' : p.slice(0, slash);
  }
}

/** The device of `path` and its path inside that file system (what a bind of it would show). */
export function sourceOf(
  mounts: readonly MountInfo[],
  path: string,
): { device: string; root: string } | undefined {
  const p = trimSlash(path);
  const m = mountContaining(mounts, p);
  if (!m) return undefined;
  const rest = m.mountPoint === '/' ? p : p.slice(m.mountPoint.length);
  if (rest === '' || rest === '/') return { device: m.device, root: m.root };
  return { device: m.device, root: m.root === '/' ? rest : `${m.root}${rest}` };
}
