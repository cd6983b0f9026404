// Moving away from the previous generation: entries the configuration dropped, or whose
// store, method or kind changed, are taken down before anything new is set up. Invariants:
// only what the previous generation's own actions show keepsake made is taken down (a
// foreign mount or link is left alone, with a note); the stored data always stays; deeper
// targets go first, so a child is unmounted before its parent.

import { mountsInside } from '../core/mount-table.js';
import { depthOf, hostPath } from '../core/paths.js';
import { MISSING, type PathState } from '../model/observed.js';
import type { PersistEntry } from '../model/types.js';
import { mountStateOf } from './checks.js';
import type { Ctx } from './context.js';
import type { Generation } from './generation.js';
import { buildTopology } from './topology.js';
import type { Action, Released } from './types.js';

const EMPTY_DIR: PathState = {
  type: 'directory',
  uid: 0,
  gid: 0,
  mode: 0o755,
  size: 0,
  dev: 0,
  ino: 0,
  empty: true,
};
const EMPTY_FILE: PathState = {
  type: 'file',
  uid: 0,
  gid: 0,
  mode: 0o644,
  size: 0,
  dev: 0,
  ino: 0,
};

/** Same target, but set up differently: it must be taken down and set up again. */
function changed(old: PersistEntry, now: PersistEntry): boolean {
  return old.kind !== now.kind || old.store !== now.store || old.method !== now.method;
}

export function planTransitions(ctx: Ctx, previous: Generation | undefined): Released[] {
  if (!previous) return [];
  const current = new Map(ctx.model.entries.map((e) => [e.target, e]));
  const covered = buildTopology(previous.model.entries).covered;
  const created = new Map<string, Extract<Action, { kind: 'mkdir' | 'create-file' }>>();
  for (const a of previous.actions) {
    if ((a.kind === 'mkdir' || a.kind === 'create-file') && a.side === 'target')
      created.set(a.path, a);
  }
  const utab = new Set(ctx.view.observed.utab.map((u) => u.fields.TARGET));
  const leaving = previous.model.entries
    .filter((old) => {
      const now = current.get(old.target);
      return !now || changed(old, now);
    })
    .sort((a, b) => depthOf(b.target) - depthOf(a.target));

  const released: Released[] = [];
  for (const old of leaving) {
    const now = current.get(old.target);
    const base = { id: old.id, target: old.target, store: old.store };
    if (covered.has(old.id)) {
      released.push({ ...base, outcome: 'gone', note: 'it had no mount of its own' });
      continue;
    }
    const state = old.method === 'auto' ? mountStateOf(ctx, old) : 'none';
    // keepsake wrote this line for the old entry; an interrupted run may have left it behind.
    if (utab.has(old.target) && (old.hideMount || old.allowTrash)) dropUtab(ctx, old);
    const here = ctx.view.stat(old.target);
    if (state === 'mounted') {
      const point = ctx.view.mountPoint(old.target);
      // Mounts inside it go first (a plain unmount would fail; a lazy one would take them
      // along unseen): keepsake's own are mounted again afterwards, anything else stops us.
      if (!takeDownInside(ctx, old, hostPath(ctx.root, point), current)) {
        released.push({ ...base, outcome: 'left', note: 'something else is mounted inside it' });
        continue;
      }
      ctx.actions.push({
        kind: 'unmount',
        entry: old.id,
        target: point,
        source: old.store,
        entryKind: old.kind,
        reason: now
          ? `${old.target} is now kept in ${now.store}`
          : `${old.target} is no longer declared`,
      });
      ctx.unmounted.add(hostPath(ctx.root, point));
      const made = created.get(ctx.view.canonical(old.target));
      // Below a keepsake mount lies what keepsake mounted onto: an empty directory or file.
      // It goes when nothing is mounted there again (a link, or nothing, takes its place).
      const reused = now && now.kind === old.kind && now.method === 'auto';
      if (!reused && made) {
        removeMountPoint(ctx, old, made);
      } else {
        ctx.view.plan(old.target, old.kind === 'directory' ? EMPTY_DIR : EMPTY_FILE);
      }
      released.push({ ...base, outcome: 'taken-down' });
    } else if (here.type === 'symlink' && here.linkTarget === old.store) {
      ctx.actions.push({
        kind: 'unlink',
        entry: old.id,
        path: ctx.view.canonical(old.target),
        to: old.store,
        uid: here.uid,
        gid: here.gid,
        reason: now
          ? `${old.target} is now kept differently`
          : `${old.target} is no longer declared`,
      });
      ctx.view.plan(old.target, MISSING);
      released.push({ ...base, outcome: 'taken-down' });
    } else if (state === 'none' && here.type === 'missing') {
      released.push({ ...base, outcome: 'gone', note: 'nothing of it is live' });
    } else if (state === 'none' && leftover(ctx, old, here, created, now)) {
      // An interrupted run took the mount down but not yet the mount point it had made.
      removeMountPoint(ctx, old, created.get(ctx.view.canonical(old.target))!);
      released.push({ ...base, outcome: 'taken-down' });
    } else {
      released.push({
        ...base,
        outcome: 'left',
        note:
          state === 'none'
            ? `${old.target} is not keepsake's link or mount any more; left alone`
            : `something else is mounted at ${old.target}; left alone`,
      });
    }
  }
  return released;
}

/** Unmount what is mounted below `point`, deepest first; false (with a problem) if foreign. */
function takeDownInside(
  ctx: Ctx,
  old: PersistEntry,
  point: string,
  current: Map<string, PersistEntry>,
): boolean {
  const byPoint = new Map(
    [...current.values()].map((e) => [hostPath(ctx.root, ctx.view.mountPoint(e.target)), e]),
  );
  const inside = mountsInside(ctx.mounts, point)
    .map((m) => m.mountPoint)
    .filter((p) => !ctx.unmounted.has(p))
    .sort((a, b) => b.length - a.length);
  for (const p of new Set(inside)) {
    const e = byPoint.get(p);
    if (e?.method !== 'auto' || mountStateOf(ctx, e) !== 'mounted') {
      ctx.problems.push({
        code: 'foreign-mount',
        entry: old.id,
        path: p.slice(ctx.root === '/' ? 0 : ctx.root.length),
        message: `${old.target} cannot be taken down: something keepsake did not mount is mounted inside it at ${p}`,
        hint: `unmount it first (umount ${p}), then apply again`,
      });
      return false;
    }
    ctx.actions.push({
      kind: 'unmount',
      entry: e.id,
      target: ctx.view.mountPoint(e.target),
      source: e.store,
      entryKind: e.kind,
      reason: `its parent ${old.target} is taken down; it is mounted again after`,
    });
    ctx.unmounted.add(p);
    ctx.view.plan(e.target, e.kind === 'directory' ? EMPTY_DIR : EMPTY_FILE);
  }
  return true;
}

/** Remove the mount point keepsake made for `old` (at run time: only if still empty). */
function removeMountPoint(
  ctx: Ctx,
  old: PersistEntry,
  made: { path: string; uid: number; gid: number; mode: number },
) {
  ctx.actions.push({
    kind: 'remove',
    entry: old.id,
    path: made.path,
    type: old.kind,
    uid: made.uid,
    gid: made.gid,
    mode: made.mode,
    reason: 'keepsake made this mount point',
  });
  ctx.view.plan(old.target, MISSING);
}

/** keepsake's own, still empty mount point, with nothing to mount there any more. */
function leftover(
  ctx: Ctx,
  old: PersistEntry,
  here: PathState,
  created: Map<string, { path: string }>,
  now: PersistEntry | undefined,
): boolean {
  if (now && now.kind === old.kind && now.method === 'auto') return false;
  if (!created.has(ctx.view.canonical(old.target))) return false;
  if (old.kind === 'directory') return here.type === 'directory' && ctx.view.isEmpty(old.target);
  return here.type === 'file' && here.size === 0;
}

function dropUtab(ctx: Ctx, old: PersistEntry) {
  ctx.utabDropped.add(old.target);
  ctx.actions.push({
    kind: 'utab',
    remove: true,
    entry: old.id,
    target: old.target,
    source: old.store,
    device: '',
    fsRoot: '',
    options: [],
    reason: 'its mount is gone',
  });
}
