// In-memory builders for planner tests: entries, observed states and mount tables, no root.

import { hostPath } from '../../src/core/paths.js';
import type { ContentSummary, MountInfo, Observed, PathState } from '../../src/model/observed.js';
import type { Model, Ownership, PersistEntry } from '../../src/model/types.js';

const implicit = { user: false, group: false, mode: false };

export function owner(uid = 0, gid = uid, mode = 0o755, explicit = implicit): Ownership {
  return { uid, gid, mode, explicit };
}

export function entry(
  kind: 'directory' | 'file',
  target: string,
  opts: Partial<PersistEntry> & { storeRoot?: string } = {},
): PersistEntry {
  const storeRoot = opts.storeRoot ?? '/persist';
  return {
    id: `${kind}:${target}`,
    kind,
    target,
    store: storeRoot + target,
    storeRoot,
    method: 'auto',
    owner: owner(0, 0, kind === 'directory' ? 0o755 : 0o644),
    parents: owner(),
    hideMount: false,
    allowTrash: false,
    adopt: false,
    source: { file: 'test.yaml', line: 1, column: 1, option: 'test' },
    ...opts,
  };
}

export function model(entries: PersistEntry[]): Model {
  return {
    configFile: '/etc/keepsake/config.yaml',
    entries,
    stores: [...new Set(entries.map((e) => e.storeRoot))].sort(),
    warnings: [],
    verbose: false,
    showWarnings: true,
  };
}

export const dir = (over: Partial<PathState> = {}): PathState => ({
  type: 'directory',
  uid: 0,
  gid: 0,
  mode: 0o755,
  size: 4096,
  dev: 1,
  ino: 1,
  empty: true,
  ...over,
});
export const file = (size = 0, over: Partial<PathState> = {}): PathState => ({
  type: 'file',
  uid: 0,
  gid: 0,
  mode: 0o644,
  size,
  dev: 1,
  ino: 2,
  ...over,
});
export const link = (to: string): PathState => ({
  type: 'symlink',
  uid: 0,
  gid: 0,
  mode: 0o777,
  size: to.length,
  dev: 1,
  ino: 3,
  linkTarget: to,
});
const missing: PathState = { type: 'missing', uid: 0, gid: 0, mode: 0, size: 0, dev: 0, ino: 0 };

let nextId = 100;
export function mount(
  mountPoint: string,
  device: string,
  root = '/',
  over: Partial<MountInfo> = {},
): MountInfo {
  return {
    id: nextId++,
    parentId: 1,
    device,
    root,
    mountPoint,
    options: 'rw',
    propagation: [],
    fsType: 'ext4',
    source: '/dev/vdb',
    superOptions: 'rw',
    ...over,
  };
}

/** The usual machine: `/` on one disk, `/persist` on another. */
export function baseMounts(): MountInfo[] {
  return [{ ...mount('/', '8:1'), id: 1, parentId: 0 }, mount('/persist', '8:2')];
}

/** An observed system: paths not given are missing; directories are empty unless marked. */
export function observed(
  _m: Model,
  paths: Record<string, PathState>,
  opts: {
    mounts?: MountInfo[];
    root?: string;
    contents?: Record<string, ContentSummary>;
    /** Text of small files, by host path. */
    texts?: Record<string, string>;
  } = {},
): Observed {
  const root = opts.root ?? '/';
  const all: Record<string, PathState> = { [root]: dir() };
  for (const [p, s] of Object.entries(paths)) all[hostPath(root, p)] = s;
  return {
    root,
    mounts: opts.mounts ?? baseMounts(),
    utab: [],
    stat: (p) => all[p] ?? missing,
    isEmpty: (p) => all[p]?.empty !== false,
    contents: (p) => opts.contents?.[p],
    readText: (p) => opts.texts?.[p],
  };
}
