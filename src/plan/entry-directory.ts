// Planning a directory entry: a bind mount of the store (the default), or a link into it.

import { MISSING } from '../model/observed.js';
import type { PersistEntry } from '../model/types.js';
import { adoptOrRefuse, planAdoption, wantsAdoption } from './adopt.js';
import { mountStateOf, refuseData, refuseMount, refuseType } from './checks.js';
import type { Ctx } from './context.js';
import { ensureDir, ensureStoreDir, link } from './steps.js';
import type { LiveState, Mechanism } from './types.js';

export function planDirBind(ctx: Ctx, entry: PersistEntry): [Mechanism, LiveState] {
  const mount = mountStateOf(ctx, entry);
  if (mount === 'mounted') {
    ensureStoreDir(ctx, entry);
    return ['bind', 'mounted'];
  }
  if (mount !== 'none') {
    refuseMount(ctx, entry, mount);
    return ['bind', mount === 'shadowed' ? 'shadowed' : 'wrong-source'];
  }
  let target = ctx.view.stat(entry.target);
  if (target.type === 'symlink' && target.linkTarget === entry.store) {
    // A link into the store, as a user's own `keepsake home apply` makes without root: the
    // bind takes its place, and nothing is lost (the data is in the store).
    ctx.actions.push({
      kind: 'unlink',
      entry: entry.id,
      path: ctx.view.canonical(entry.target),
      to: entry.store,
      uid: target.uid,
      gid: target.gid,
      reason: `a link into the store gives way to the bind of ${entry.target}`,
    });
    ctx.view.plan(entry.target, MISSING);
    target = MISSING;
  }
  if (target.type === 'directory' && !ctx.view.isEmpty(entry.target)) {
    // With the data moved, the target is an empty directory: plan the rest as usual.
    return adoptOrRefuse(ctx, entry, target, 'directory', () => planDirBind(ctx, entry));
  }
  if (target.type !== 'directory' && target.type !== 'missing') {
    refuseType(ctx, entry, target);
    return ['bind', target.type === 'symlink' ? 'wrong-source' : 'occupied'];
  }
  const store = ensureStoreDir(ctx, entry);
  if (!store) return ['bind', 'missing'];
  if (
    target.type === 'missing' &&
    !ensureDir(ctx, entry, entry.target, 'target', store, `mount point for ${entry.target}`)
  ) {
    return ['bind', 'missing'];
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

export function planDirLink(ctx: Ctx, entry: PersistEntry): [Mechanism, LiveState] {
  const target = ctx.view.stat(entry.target);
  if (target.type === 'symlink' && target.linkTarget === entry.store) {
    ensureStoreDir(ctx, entry);
    return ['symlink', 'linked'];
  }
  if (target.type === 'directory' && !ctx.view.isEmpty(entry.target)) {
    if (!wantsAdoption(ctx, entry)) {
      refuseData(ctx, entry, target);
      return ['symlink', 'occupied'];
    }
    // With the data moved, an empty directory remains: plan the rest as usual.
    return planAdoption(ctx, entry, 'directory')
      ? planDirLink(ctx, entry)
      : ['symlink', 'occupied'];
  }
  if (target.type === 'directory') {
    // An empty directory where the link goes: removing it loses nothing (and at run time
    // rmdir refuses if something appeared in it meanwhile).
    ctx.actions.push({
      kind: 'remove',
      entry: entry.id,
      path: ctx.view.canonical(entry.target),
      type: 'directory',
      uid: target.uid,
      gid: target.gid,
      mode: target.mode,
      reason: 'an empty directory stands where the link goes',
    });
    ctx.view.plan(entry.target, MISSING);
  } else if (target.type !== 'missing') {
    refuseType(ctx, entry, target);
    return ['symlink', target.type === 'symlink' ? 'wrong-source' : 'occupied'];
  }
  if (!ensureStoreDir(ctx, entry)) return ['symlink', 'missing'];
  link(ctx, entry);
  return ['symlink', 'missing'];
}
