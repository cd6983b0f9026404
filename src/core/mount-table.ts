// Pure questions about a parsed mount table: what is visible at a path, what is stacked
// there, what is mounted below it, and which file system and in-file-system path a path
// resolves to. Each answer depends only on the mounts at the path and above it (and, for
// mountsInside, below it): the settled record keeps only those (src/core/mount-relevance.ts),
// so it needs the paths asked about, which watchMountQueries collects.

import type { MountInfo } from '../model/observed.js';

interface Index {
  length: number;
  /** Visible mount at each mount point. */
  top: Map<string, MountInfo>;
  /** Each mount's place in the table, by id (the last one, should two share an id). */
  at: Map<number, number>;
  /** The visible mount holding each path asked about so far (null: none), and each of the
   *  directories above it passed on the way: the paths a plan asks about share most of them. */
  holding: Map<string, MountInfo | null>;
  /** Where the paths asked about go, once watchMountQueries is called. */
  queries?: MountQueries;
}

const indexes = new WeakMap<readonly MountInfo[], Index>();

/** The paths asked about of one mount table: `at` for what is at or above a path, `inside`
 *  for what is below one. */
export interface MountQueries {
  at: Set<string>;
  inside: Set<string>;
}
/** From now on, every path asked about of `mounts` is added to the sets returned. */
export function watchMountQueries(mounts: readonly MountInfo[]): MountQueries {
  const queries = { at: new Set<string>(), inside: new Set<string>() };
  indexOf(mounts).queries = queries;
  return queries;
}

/**
 * A mount is visible when nothing is stacked on it (no mount at the same point has it as
 * parent) and its parent is visible too: overmounting `/a` hides an earlier `/a/b`.
 * Worked out by place in the table, in typed arrays: every plan indexes the whole table
 * (thousands of mounts where every entry is a bind), and hashing each id again for each
 * question was most of what that cost.
 */
function indexOf(mounts: readonly MountInfo[]): Index {
  const cached = indexes.get(mounts);
  if (cached && cached.length === mounts.length) return cached;
  const n = mounts.length;
  const at = new Map<number, number>();
  for (let i = 0; i < n; i++) at.set(mounts[i]!.id, i);
  // Each mount's parent by place (-1: none, or itself), and the ids of mounts stacked over.
  const parentAt = new Int32Array(n);
  const covered = new Set<number>();
  for (let i = 0; i < n; i++) {
    const m = mounts[i]!;
    const p = at.get(m.parentId);
    parentAt[i] = p === undefined || p === i ? -1 : p;
    if (p !== undefined && p !== i && mounts[p]!.mountPoint === m.mountPoint) {
      covered.add(mounts[p]!.id);
    }
  }
  // Attached: the stack this mount belongs to sits on a visible mount. 1 yes, -1 no (and while
  // being worked out, which guards against a malformed parent cycle), 0 not known yet.
  const memo = new Int8Array(n);
  const attached = (i: number): boolean => {
    const known = memo[i]!;
    if (known !== 0) return known === 1;
    memo[i] = -1;
    const p = parentAt[i]!;
    const result =
      p < 0 || (mounts[p]!.mountPoint === mounts[i]!.mountPoint ? attached(p) : visible(p));
    memo[i] = result ? 1 : -1;
    return result;
  };
  const visible = (i: number): boolean =>
    (covered.size === 0 || !covered.has(mounts[i]!.id)) && attached(i);
  const top = new Map<string, MountInfo>();
  for (let i = 0; i < n; i++) if (visible(i)) top.set(mounts[i]!.mountPoint, mounts[i]!); // later wins
  const index: Index = { length: n, top, at, holding: new Map() };
  // An index made again (the array grew) keeps logging where the first one did.
  if (cached?.queries) index.queries = cached.queries;
  indexes.set(mounts, index);
  return index;
}

function trimSlash(p: string): string {
  // Asked for every path the planner looks at; almost none ends in a slash.
  return p.length > 1 && p.charCodeAt(p.length - 1) === 47 ? p.replace(/\/+$/, '') || '/' : p;
}

/** The visible mount whose mount point is exactly `path`, if any. */
export function topMountAt(mounts: readonly MountInfo[], path: string): MountInfo | undefined {
  const p = trimSlash(path);
  const { top, queries } = indexOf(mounts);
  queries?.at.add(p);
  return top.get(p);
}

/** The visible mount holding `path`: the longest mount point that is a whole-component prefix. */
export function mountContaining(mounts: readonly MountInfo[], path: string): MountInfo | undefined {
  const { top, holding, queries } = indexOf(mounts);
  const passed: string[] = [];
  let p = trimSlash(path);
  queries?.at.add(p);
  let found: MountInfo | null;
  for (;;) {
    const known = holding.get(p);
    if (known !== undefined) {
      found = known;
      break;
    }
    const m = top.get(p);
    if (m) {
      found = m;
      break;
    }
    passed.push(p);
    if (p === '/' || p === '') {
      found = null;
      break;
    }
    const slash = p.lastIndexOf('/');
    p = slash <= 0 ? '/' : p.slice(0, slash);
  }
  // Every path passed holds no mount point of its own: the one found holds them all.
  for (const q of passed) holding.set(q, found);
  return found ?? undefined;
}

/** A file system and a path inside it: what a bind of a path would show. */
export interface Source {
  device: string;
  root: string;
}

/** The device of `path` and its path inside that file system (what a bind of it would show). */
export function sourceOf(mounts: readonly MountInfo[], path: string): Source | undefined {
  const p = trimSlash(path);
  const m = mountContaining(mounts, p);
  return m ? sourceIn(m, p) : undefined;
}

/** Where `p` lies in the file system of `m`, the mount holding it. */
function sourceIn(m: MountInfo, p: string): Source {
  const rest = m.mountPoint === '/' ? p : p.slice(m.mountPoint.length);
  if (rest === '' || rest === '/') return { device: m.device, root: m.root };
  return { device: m.device, root: m.root === '/' ? rest : `${m.root}${rest}` };
}

/**
 * sourceOf for the paths below one directory `base` (a storage location, asked about for each
 * of its entries), where no mount at all lies below it: every such path is then on the file
 * system holding `base`, found once, and each costs a slice rather than a walk up. The table
 * is asked what lies below `base` and what holds it, and logged so: no answer for a path below
 * it depends on any other line. Undefined where a mount lies below `base`: ask sourceOf.
 */
export function sourcesBelow(
  mounts: readonly MountInfo[],
  base: string,
): ((path: string) => Source | undefined) | undefined {
  const b = trimSlash(base);
  if (b === '/' || mountsInside(mounts, b).length > 0) return undefined;
  const m = mountContaining(mounts, b);
  const within = `${b}/`;
  return (path) => {
    const p = trimSlash(path);
    if (p !== b && !p.startsWith(within)) return sourceOf(mounts, p);
    return m ? sourceIn(m, p) : undefined;
  };
}

/** Mounts at exactly `path`, bottom first; the last one is what programs see. */
export function stackAt(mounts: readonly MountInfo[], path: string): MountInfo[] {
  const top = topMountAt(mounts, path);
  if (!top) return [];
  const { at } = indexOf(mounts);
  const byId = (id: number) => {
    const i = at.get(id);
    return i === undefined ? undefined : mounts[i];
  };
  const stack = [top];
  for (let m = byId(top.parentId); m && m.mountPoint === top.mountPoint; m = byId(m.parentId)) {
    if (stack.includes(m)) break;
    stack.unshift(m);
  }
  return stack;
}

/** Every mount (visible or not) whose mount point lies strictly below `path`. */
export function mountsInside(mounts: readonly MountInfo[], path: string): MountInfo[] {
  const p = trimSlash(path);
  const { queries } = indexOf(mounts);
  // What is mounted at and above it decides whether those are seen at all: asked too.
  queries?.at.add(p);
  queries?.inside.add(p);
  return mounts.filter((m) => m.mountPoint.startsWith(`${p}/`));
}
