// The checks that make the planner refuse: planted symlinks, foreign or shadowing mounts,
// data in the way, wrong types, and stores that would not survive a reboot.

import {
  mountContaining,
  type Source,
  sourceOf,
  sourcesBelow,
  stackAt,
  topMountAt,
} from '../core/mount-table.js';
import { hostPath, parentOf } from '../core/paths.js';
import type { MountInfo, PathState } from '../model/observed.js';
import type { PersistEntry } from '../model/types.js';
import type { Ctx } from './context.js';
import { describeContents } from './format.js';
import type { Problem, ProblemCode } from './types.js';

/** No component of the path (as it really lives, links that keepsake made followed) may be a symlink. */
export function pathIsSafe(ctx: Ctx, entry: PersistEntry, path: string): boolean {
  // Paths join `safe` top-down, so it holds every ancestor of each path in it: walking up
  // stops at the first safe one, and only the unknown ones below it are checked, top-down.
  const unknown: string[] = [];
  for (let p = parentOf(path); !ctx.safe.has(p); p = parentOf(p)) {
    unknown.push(p);
    if (p === '/') break;
  }
  for (let i = unknown.length - 1; i >= 0; i--) {
    const a = unknown[i]!;
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

export type MountState = 'none' | 'mounted' | 'shadowed' | 'foreign';

/** What a bind of the entry's store path would show: through its storage location's
 *  sourcesBelow, worked out once per location (undefined there when a mount lies inside it). */
function storeSource(ctx: Ctx, entry: PersistEntry): Source | undefined {
  let below = ctx.storeSources.get(entry.storeRoot);
  if (below === undefined) {
    below = sourcesBelow(ctx.mounts, hostPath(ctx.root, entry.storeRoot)) ?? null;
    ctx.storeSources.set(entry.storeRoot, below);
  }
  const store = hostPath(ctx.root, entry.store);
  return below === null ? sourceOf(ctx.mounts, store) : below(store);
}

export function mountStateOf(ctx: Ctx, entry: PersistEntry): MountState {
  const point = hostPath(ctx.root, ctx.view.mountPoint(entry.target));
  const top = topMountAt(ctx.mounts, point);
  if (!top) return 'none';
  const src = storeSource(ctx, entry);
  const matches = (m: MountInfo) => !!src && m.device === src.device && m.root === src.root;
  const down = ctx.unmounted.has(point);
  // What every entry of an applied configuration finds: the store's bind on top.
  if (!down && matches(top)) return 'mounted';
  const all = stackAt(ctx.mounts, point);
  const stack = down ? all.slice(0, -1) : all;
  if (stack.length === 0) return 'none';
  if (matches(stack[stack.length - 1]!)) return 'mounted';
  return stack.some(matches) ? 'shadowed' : 'foreign';
}

/**
 * systemd's transient machine id: on a first boot (every boot of a volatile root) PID 1 writes
 * the id it generated to /run/machine-id and binds it over /etc/machine-id, for
 * systemd-machine-id-commit to write out later. keepsake binds the stored id over it; the
 * commit then finds a non-temporary file and leaves it alone.
 */
export function isTransientMachineId(ctx: Ctx, entry: PersistEntry): boolean {
  const top = stackAt(ctx.mounts, hostPath(ctx.root, entry.target)).at(-1);
  return top?.fsType === 'tmpfs' && top.root === '/machine-id';
}

export function refuseMount(ctx: Ctx, entry: PersistEntry, state: MountState) {
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

export function refuseData(ctx: Ctx, entry: PersistEntry, st: PathState) {
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
    `run keepsake apply --adopt (or set adopt: true) to move it into ${entry.store}, set aside in a backup there if the store already holds data; or move it yourself, then apply again`,
    contents,
  );
}

export function refuseType(ctx: Ctx, entry: PersistEntry, st: PathState) {
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

export function problem(
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
export function checkStoresPersistent(ctx: Ctx): Set<string> {
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
