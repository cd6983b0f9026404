// Pure questions about a parsed mount table: what is visible at a path, what is stacked there,
// and which file system and in-file-system path a path resolves to.

import type { MountInfo } from './types.js';

interface Table {
  /** Visible mounts by mount point. */
  visible: Map<string, MountInfo>;
  /** Every mount at a point, bottom first, ending with the visible one when there is one. */
  stacks: Map<string, MountInfo[]>;
}

const tables = new WeakMap<readonly MountInfo[], Table>();

function tableOf(mounts: readonly MountInfo[]): Table {
  let t = tables.get(mounts);
  if (t) return t;
  const byId = new Map(mounts.map((m) => [m.id, m]));
  const children = new Map<number, MountInfo[]>();
  for (const m of mounts) {
    if (m.parentId === m.id || !byId.has(m.parentId)) continue;
    const list = children.get(m.parentId);
    if (list) list.push(m);
    else children.set(m.parentId, [m]);
  }
  const visible = new Map<string, MountInfo>();
  const stacks = new Map<string, MountInfo[]>();
  // A mount covered by another at the same point hides everything mounted below it.
  const walk = (m: MountInfo, stack: MountInfo[]) => {
    const kids = children.get(m.id) ?? [];
    const over = kids.filter((k) => k.mountPoint === m.mountPoint).at(-1);
    if (over) return walk(over, [...stack, m]);
    visible.set(m.mountPoint, m);
    stacks.set(m.mountPoint, [...stack, m]);
    for (const k of kids) walk(k, []);
  };
  for (const m of mounts) if (!byId.has(m.parentId) || m.parentId === m.id) walk(m, []);
  t = { visible, stacks };
  tables.set(mounts, t);
  return t;
}

/** Mounts at exactly `path`, bottom first; the last one is what a program sees. */
export function stackAt(mounts: readonly MountInfo[], path: string): MountInfo[] {
  return tableOf(mounts).stacks.get(path) ?? [];
}

/** The visible mount at exactly `path`. */
export function topMountAt(mounts: readonly MountInfo[], path: string): MountInfo | undefined {
  return tableOf(mounts).visible.get(path);
}

/** The visible mount that holds `path`: the one with the longest mount point above it. */
export function mountContaining(mounts: readonly MountInfo[], path: string): MountInfo | undefined {
  const { visible } = tableOf(mounts);
  for (let p = path; ; p = p.slice(0, Math.max(1, p.lastIndexOf('/')))) {
    const m = visible.get(p);
    if (m) return m;
    if (p === '/') return undefined;
  }
}

/** The file system (`major:minor`) and the path inside it that `path` resolves to. */
export function sourceOf(
  mounts: readonly MountInfo[],
  path: string,
): { device: string; root: string } | undefined {
  const m = mountContaining(mounts, path);
  if (!m) return undefined;
  const rest = m.mountPoint === '/' ? path : path.slice(m.mountPoint.length);
  const root = m.root === '/' ? rest || '/' : m.root + rest;
  return { device: m.device, root: root || '/' };
}
