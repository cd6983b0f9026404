// The planner: config model + observed system → plan. Pure: no fs, no processes, no clock.
// Invariants kept while planning, in this order for every entry:
//   1. every check for the entry passes before any action for it is added;
//   2. parents are created before children, stores before targets, and an entry's bind comes
//      after every directory it needs, so the plan runs top to bottom;
//   3. entries are visited parent first, so a nested target is created inside the bind that
//      will already be there when its own actions run.

import type { Model, PersistEntry } from '../model/types.js';
import { mountContaining, sourceOf, stackAt } from '../observe/mount-table.js';
import type { MountInfo, Observed, PathState } from '../observe/types.js';
import { describeContents } from './format.js';
import { type Owner, ownerForCreatedDir } from './owners.js';
import { ancestorsOf, hostPath, parentOf } from './paths.js';
import { buildTopology, type Topology } from './topology.js';
import {
  type Action,
  type EntryPlan,
  type LiveState,
  type Mechanism,
  PLAN_VERSION,
  type Plan,
  type Problem,
  type ProblemCode,
  type Side,
} from './types.js';
import { createView, type View } from './view.js';

/** systemd treats this content as "no id yet" and commits the id it generates into the file. */
export const MACHINE_ID_SEED = 'uninitialized\n';
const MACHINE_ID = '/etc/machine-id';

interface Ctx {
  model: Model;
  root: string;
  view: View;
  topo: Topology;
  mounts: MountInfo[];
  actions: Action[];
  problems: Problem[];
  /** Paths already found not to be symlinks (they stay so while planning). */
  safe: Set<string>;
}

export function buildPlan(model: Model, observed: Observed): Plan {
  const ctx: Ctx = {
    model,
    root: observed.root,
    view: createView(observed),
    topo: buildTopology(model.entries),
    mounts: observed.mounts,
    actions: [],
    problems: [],
    safe: new Set(),
  };
  const entries: EntryPlan[] = [];
  const unsafeStores = checkStoresPersistent(ctx);
  for (const entry of ctx.topo.ordered) {
    entries.push(planEntry(ctx, entry, unsafeStores));
  }
  planUtab(ctx, entries);
  return {
    version: PLAN_VERSION,
    root: observed.root,
    configFile: model.configFile,
    entries,
    actions: ctx.actions,
    problems: ctx.problems,
    warnings: model.warnings,
  };
}

function planEntry(ctx: Ctx, entry: PersistEntry, unsafeStores: Set<string>): EntryPlan {
  const before = { actions: ctx.actions.length, problems: ctx.problems.length };
  const base = { id: entry.id, kind: entry.kind, target: entry.target, store: entry.store };
  const result = (mechanism: Mechanism, live: LiveState): EntryPlan => {
    const refused = ctx.problems.length > before.problems;
    // Rule 1: a refused entry contributes no actions.
    if (refused) ctx.actions.length = before.actions;
    const state = refused ? 'refused' : ctx.actions.length > before.actions ? 'pending' : 'ok';
    return { ...base, mechanism, live, state };
  };
  if (unsafeStores.has(entry.storeRoot)) return result('bind', 'missing');
  // A bind already in place needs no path checks of its own: no action will walk its paths
  // (an owner fix on the store is still verified when it is carried out). This keeps a no-op
  // apply from looking at thousands of paths.
  const inPlace =
    entry.method === 'auto' &&
    !ctx.topo.covered.has(entry.id) &&
    mountStateOf(ctx, entry) === 'mounted';
  if (inPlace) {
    const { explicit } = entry.owner;
    if (explicit.user || explicit.group || explicit.mode) {
      fixOwnership(ctx, entry, entry.store, ctx.view.stat(entry.store));
    }
    if (entry.kind === 'directory')
      ctx.view.addRedirect({ entry, from: entry.target, to: entry.store });
    return result('bind', 'mounted');
  }
  if (!pathIsSafe(ctx, entry, entry.store) || !pathIsSafe(ctx, entry, entry.target)) {
    return result('bind', 'missing');
  }
  if (ctx.topo.covered.has(entry.id)) {
    if (entry.kind === 'directory') ensureStoreDir(ctx, entry);
    return result('covered', 'covered');
  }
  if (entry.kind === 'directory') {
    const [mechanism, live] =
      entry.method === 'symlink' ? planDirLink(ctx, entry) : planDirBind(ctx, entry);
    if (ctx.problems.length === before.problems) {
      ctx.view.addRedirect({ entry, from: entry.target, to: entry.store });
    }
    return result(mechanism, live);
  }
  const [mechanism, live] = planFile(ctx, entry);
  return result(mechanism, live);
}

// ---- directories -------------------------------------------------------------------------

function planDirBind(ctx: Ctx, entry: PersistEntry): [Mechanism, LiveState] {
  const mount = mountStateOf(ctx, entry);
  if (mount === 'mounted') {
    ensureStoreDir(ctx, entry);
    return ['bind', 'mounted'];
  }
  if (mount !== 'none') {
    refuseMount(ctx, entry, mount);
    return ['bind', mount === 'shadowed' ? 'shadowed' : 'wrong-source'];
  }
  const target = ctx.view.stat(entry.target);
  if (target.type === 'directory' && !ctx.view.isEmpty(entry.target)) {
    refuseData(ctx, entry, target);
    return ['bind', 'occupied'];
  }
  if (target.type !== 'directory' && target.type !== 'missing') {
    refuseType(ctx, entry, target);
    return ['bind', target.type === 'symlink' ? 'wrong-source' : 'occupied'];
  }
  const store = ensureStoreDir(ctx, entry);
  if (!store) return ['bind', 'missing'];
  if (target.type === 'missing') {
    ensureDir(ctx, entry, entry.target, 'target', store, `mount point for ${entry.target}`);
  }
  ctx.actions.push({
    kind: 'bind',
    entry: entry.id,
    entryKind: 'directory',
    source: entry.store,
    target: ctx.view.mountPoint(entry.target),
    reason: `persist ${entry.target}`,
    ...(ctx.topo.hostsForeign.has(entry.id) ? { propagation: 'slave' as const } : {}),
  });
  return ['bind', 'missing'];
}

function planDirLink(ctx: Ctx, entry: PersistEntry): [Mechanism, LiveState] {
  const target = ctx.view.stat(entry.target);
  if (target.type === 'symlink' && target.linkTarget === entry.store) {
    ensureStoreDir(ctx, entry);
    return ['symlink', 'linked'];
  }
  if (target.type === 'directory' && !ctx.view.isEmpty(entry.target)) {
    refuseData(ctx, entry, target);
    return ['symlink', 'occupied'];
  }
  if (target.type !== 'missing') {
    refuseType(ctx, entry, target);
    return ['symlink', target.type === 'symlink' ? 'wrong-source' : 'occupied'];
  }
  if (!ensureStoreDir(ctx, entry)) return ['symlink', 'missing'];
  link(ctx, entry);
  return ['symlink', 'missing'];
}

// ---- files -------------------------------------------------------------------------------

function planFile(ctx: Ctx, entry: PersistEntry): [Mechanism, LiveState] {
  const { view } = ctx;
  const target = view.stat(entry.target);
  const store = view.stat(entry.store);
  if (store.type !== 'file' && store.type !== 'missing') {
    problem(
      ctx,
      entry,
      'wrong-type',
      entry.store,
      `the stored copy ${entry.store} is a ${store.type}, not a file`,
      `move ${entry.store} aside; keepsake keeps files there`,
    );
    return ['bind', 'missing'];
  }
  if (target.type === 'symlink' && target.linkTarget === entry.store) return ['symlink', 'linked'];
  if (entry.method === 'symlink') {
    if (target.type !== 'missing') {
      refuseType(ctx, entry, target);
      return ['symlink', 'occupied'];
    }
    if (!ensureStoreParent(ctx, entry)) return ['symlink', 'missing'];
    link(ctx, entry);
    return ['symlink', 'missing'];
  }
  const mount = mountStateOf(ctx, entry);
  if (mount === 'mounted') return ['bind', 'mounted'];
  if (mount !== 'none') {
    refuseMount(ctx, entry, mount);
    return ['bind', mount === 'shadowed' ? 'shadowed' : 'wrong-source'];
  }
  if (target.type === 'file' && target.size > 0) {
    refuseData(ctx, entry, target);
    return ['bind', 'occupied'];
  }
  if (target.type !== 'file' && target.type !== 'missing') {
    refuseType(ctx, entry, target);
    return ['bind', 'occupied'];
  }
  const isMachineId = entry.target === MACHINE_ID;
  if (store.type === 'missing' && target.type === 'missing' && !isMachineId) {
    // Like impermanence: link into the store, so the program creates the file there.
    if (!ensureStoreParent(ctx, entry)) return ['symlink', 'missing'];
    link(ctx, entry);
    return ['symlink', 'missing'];
  }
  let storeOwner: Owner = { uid: store.uid, gid: store.gid, mode: store.mode };
  if (store.type === 'missing') {
    if (!ensureStoreParent(ctx, entry)) return ['bind', 'missing'];
    storeOwner = isMachineId
      ? { uid: 0, gid: 0, mode: 0o444 }
      : target.type === 'file'
        ? { uid: target.uid, gid: target.gid, mode: target.mode }
        : { uid: entry.owner.uid, gid: entry.owner.gid, mode: entry.owner.mode };
    createFile(
      ctx,
      entry,
      entry.store,
      'store',
      storeOwner,
      isMachineId ? MACHINE_ID_SEED : '',
      isMachineId
        ? 'seed: systemd commits the id it generates on first boot'
        : `keep ${entry.target}`,
    );
  } else {
    fixOwnership(ctx, entry, entry.store, store);
  }
  if (target.type === 'missing') {
    if (!ensureParents(ctx, entry, entry.target, 'target')) return ['bind', 'missing'];
    createFile(
      ctx,
      entry,
      entry.target,
      'target',
      storeOwner,
      '',
      'mount point (empty placeholder)',
    );
  }
  ctx.actions.push({
    kind: 'bind',
    entry: entry.id,
    entryKind: 'file',
    source: entry.store,
    target: ctx.view.mountPoint(entry.target),
    reason: `persist ${entry.target}`,
  });
  return [isMachineId && store.type === 'missing' ? 'seed-and-bind' : 'bind', 'missing'];
}

// ---- shared steps ------------------------------------------------------------------------

/** Make sure the entry's store directory exists with the declared owner; returns its owner. */
function ensureStoreDir(ctx: Ctx, entry: PersistEntry): Owner | undefined {
  const st = ctx.view.stat(entry.store);
  if (st.type === 'directory') {
    fixOwnership(ctx, entry, entry.store, st);
    const o = entry.owner;
    return {
      uid: o.explicit.user ? o.uid : st.uid,
      gid: o.explicit.group ? o.gid : st.gid,
      mode: o.explicit.mode ? o.mode : st.mode,
    };
  }
  if (st.type !== 'missing') {
    problem(
      ctx,
      entry,
      'wrong-type',
      entry.store,
      `the stored copy ${entry.store} is a ${st.type}, not a directory`,
      `move ${entry.store} aside; keepsake keeps the directory there`,
    );
    return undefined;
  }
  const owner = { uid: entry.owner.uid, gid: entry.owner.gid, mode: entry.owner.mode };
  return ensureDir(ctx, entry, entry.store, 'store', owner, `store for ${entry.target}`)
    ? owner
    : undefined;
}

function ensureStoreParent(ctx: Ctx, entry: PersistEntry): boolean {
  return ensureParents(ctx, entry, entry.store, 'store');
}

/** Create `path` (and missing parents) unless it exists; false when something is in the way. */
function ensureDir(
  ctx: Ctx,
  entry: PersistEntry,
  path: string,
  side: Side,
  owner: Owner,
  reason: string,
): boolean {
  const st = ctx.view.stat(path);
  if (st.type === 'directory') return true;
  if (st.type !== 'missing') {
    problem(
      ctx,
      entry,
      'wrong-type',
      path,
      `${path} is a ${st.type}, but a directory is needed there`,
      `move ${path} aside`,
    );
    return false;
  }
  if (!ensureParents(ctx, entry, path, side)) return false;
  const at = ctx.view.canonical(path);
  ctx.actions.push({ kind: 'mkdir', entry: entry.id, side, path: at, ...owner, reason });
  ctx.view.plan(path, planned('directory', owner));
  return true;
}

function ensureParents(ctx: Ctx, entry: PersistEntry, path: string, side: Side): boolean {
  const parent = parentOf(path);
  if (parent === path) return true;
  const st = ctx.view.stat(parent);
  if (st.type === 'directory') return true;
  const owner = ownerForCreatedDir(entry, parent, side);
  return ensureDir(ctx, entry, parent, side, owner, `parent of ${path}`);
}

function createFile(
  ctx: Ctx,
  entry: PersistEntry,
  path: string,
  side: Side,
  owner: Owner,
  content: string,
  reason: string,
) {
  ctx.actions.push({
    kind: 'create-file',
    entry: entry.id,
    side,
    path: ctx.view.canonical(path),
    ...owner,
    content,
    reason,
  });
  ctx.view.plan(path, { ...planned('file', owner), size: content.length });
}

function link(ctx: Ctx, entry: PersistEntry) {
  if (!ensureParents(ctx, entry, entry.target, 'target')) return;
  const owner = entry.home ? { uid: entry.home.uid, gid: entry.home.gid } : { uid: 0, gid: 0 };
  const at = ctx.view.canonical(entry.target);
  ctx.actions.push({
    kind: 'symlink',
    entry: entry.id,
    path: at,
    to: entry.store,
    ...owner,
    reason: `persist ${entry.target}`,
  });
  ctx.view.plan(entry.target, {
    ...planned('symlink', { ...owner, mode: 0o777 }),
    linkTarget: entry.store,
  });
}

/** Apply owner and mode the config names explicitly, and only those, only when they differ. */
function fixOwnership(ctx: Ctx, entry: PersistEntry, path: string, st: PathState) {
  const o = entry.owner;
  const uid = o.explicit.user ? o.uid : st.uid;
  const gid = o.explicit.group ? o.gid : st.gid;
  const at = ctx.view.canonical(path);
  if (uid !== st.uid || gid !== st.gid) {
    ctx.actions.push({
      kind: 'chown',
      entry: entry.id,
      path: at,
      uid,
      gid,
      was: { uid: st.uid, gid: st.gid },
      reason: 'owner named in the config',
    });
  }
  if (o.explicit.mode && o.mode !== st.mode) {
    ctx.actions.push({
      kind: 'chmod',
      entry: entry.id,
      path: at,
      mode: o.mode,
      was: st.mode,
      reason: 'mode named in the config',
    });
  }
}

function planned(type: 'directory' | 'file' | 'symlink', owner: Owner): PathState {
  return {
    type,
    uid: owner.uid,
    gid: owner.gid,
    mode: owner.mode,
    size: 0,
    dev: 0,
    ino: 0,
    empty: true,
  };
}

// ---- checks ------------------------------------------------------------------------------

/** No component of the path (as it really lives, links that keepsake made followed) may be a symlink. */
function pathIsSafe(ctx: Ctx, entry: PersistEntry, path: string): boolean {
  for (const a of ancestorsOf(path)) {
    if (ctx.safe.has(a)) continue;
    if (ctx.view.stat(a).type !== 'symlink') ctx.safe.add(a);
    else {
      problem(
        ctx,
        entry,
        'symlink-in-path',
        a,
        `${a} is a symbolic link; keepsake does not follow links in the path of ${path}`,
        `replace the link with the directory it points to, or declare the real path (as systemd requires canonical mount points)`,
      );
      return false;
    }
  }
  return true;
}

type MountState = 'none' | 'mounted' | 'shadowed' | 'foreign';

function mountStateOf(ctx: Ctx, entry: PersistEntry): MountState {
  const point = hostPath(ctx.root, ctx.view.mountPoint(entry.target));
  const stack = stackAt(ctx.mounts, point);
  if (stack.length === 0) return 'none';
  const src = sourceOf(ctx.mounts, hostPath(ctx.root, entry.store));
  const matches = (m: MountInfo) => !!src && m.device === src.device && m.root === src.root;
  if (matches(stack[stack.length - 1]!)) return 'mounted';
  return stack.some(matches) ? 'shadowed' : 'foreign';
}

function refuseMount(ctx: Ctx, entry: PersistEntry, state: MountState) {
  const top = stackAt(ctx.mounts, hostPath(ctx.root, entry.target)).at(-1);
  const what = top ? `${top.source} (${top.fsType}, ${top.root})` : 'another file system';
  if (state === 'shadowed') {
    problem(
      ctx,
      entry,
      'shadowed',
      entry.target,
      `${entry.target} is mounted from the store, but ${what} is mounted on top of it`,
      `unmount the upper mount: umount ${entry.target}`,
    );
  } else {
    problem(
      ctx,
      entry,
      'foreign-mount',
      entry.target,
      `${what} is already mounted at ${entry.target}, not ${entry.store}`,
      `unmount it first (umount ${entry.target}) or remove the entry from the config`,
    );
  }
}

function refuseData(ctx: Ctx, entry: PersistEntry, st: PathState) {
  const contents = st.type === 'directory' ? ctx.view.contents(entry.target) : undefined;
  const what =
    st.type === 'file'
      ? `a file of ${st.size} bytes`
      : contents
        ? describeContents(contents).replace(/; e\.g\..*$/, '')
        : 'a non-empty directory';
  problem(
    ctx,
    entry,
    'target-has-data',
    entry.target,
    `${entry.target} already holds ${what}; ${entry.method === 'symlink' ? 'linking' : 'mounting'} over it would hide or replace it`,
    `move its content into ${entry.store} (or aside), then apply again`,
    contents,
  );
}

function refuseType(ctx: Ctx, entry: PersistEntry, st: PathState) {
  if (st.type === 'symlink') {
    problem(
      ctx,
      entry,
      'foreign-symlink',
      entry.target,
      `${entry.target} is a symbolic link to ${st.linkTarget ?? '?'}, not to ${entry.store}`,
      `remove the link (keepsake leaves links it did not make alone), then apply again`,
    );
    return;
  }
  const want =
    entry.kind === 'directory' && entry.method !== 'symlink'
      ? 'a directory'
      : entry.method === 'symlink'
        ? 'nothing (a link goes there)'
        : 'a file';
  problem(
    ctx,
    entry,
    'wrong-type',
    entry.target,
    `${entry.target} is a ${st.type}, but ${want} is expected there`,
    `move ${entry.target} aside, then apply again`,
  );
}

function problem(
  ctx: Ctx,
  entry: PersistEntry,
  code: ProblemCode,
  path: string,
  message: string,
  hint: string,
  contents?: Problem['contents'],
) {
  ctx.problems.push({
    code,
    entry: entry.id,
    path,
    message,
    hint,
    ...(contents ? { contents } : {}),
  });
}

/** A store on the same tmpfs as the root would be wiped with it: refuse rather than lose data. */
function checkStoresPersistent(ctx: Ctx): Set<string> {
  const bad = new Set<string>();
  const rootMount = mountContaining(ctx.mounts, ctx.root);
  if (!rootMount || (rootMount.fsType !== 'tmpfs' && rootMount.fsType !== 'ramfs')) return bad;
  for (const store of ctx.model.stores) {
    const m = mountContaining(ctx.mounts, hostPath(ctx.root, store));
    if (m && m.id === rootMount.id) {
      bad.add(store);
      const first = ctx.model.entries.find((e) => e.storeRoot === store);
      ctx.problems.push({
        code: 'store-not-persistent',
        entry: first?.id ?? store,
        path: store,
        message: `${store} is on the same ${rootMount.fsType} as the root: data kept there is lost at the next boot`,
        hint: `mount the persistent file system at ${store} before running keepsake (in a unit: RequiresMountsFor=${store})`,
      });
    }
  }
  return bad;
}

// ---- userspace mount options -------------------------------------------------------------

function planUtab(ctx: Ctx, entries: EntryPlan[]) {
  const byId = new Map(ctx.model.entries.map((e) => [e.id, e]));
  const present = new Set(ctx.view.observed.utab.map((u) => u.fields.TARGET));
  const bound = new Set(
    ctx.actions.flatMap((a) => (a.kind === 'bind' && a.entry ? [a.entry] : [])),
  );
  for (const ep of entries) {
    const e = byId.get(ep.id);
    if (!e || ep.state === 'refused' || ep.mechanism === 'symlink' || ep.mechanism === 'covered')
      continue;
    if (ep.live !== 'mounted' && !bound.has(e.id)) continue;
    const options = [
      ...(e.hideMount ? ['x-gvfs-hide'] : []),
      ...(e.allowTrash ? ['x-gvfs-trash'] : []),
    ];
    if (options.length === 0 || present.has(e.target)) continue;
    const fsRoot = sourceOf(ctx.mounts, hostPath(ctx.root, e.store))?.root ?? e.store;
    ctx.actions.push({
      kind: 'utab',
      entry: e.id,
      target: e.target,
      source: e.store,
      fsRoot,
      options,
      reason: 'file managers read these options from utab',
    });
  }
}
