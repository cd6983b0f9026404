// Planning a file entry: bind the stored file when it exists, link into the store when it
// does not yet, and seed /etc/machine-id so systemd commits its id into the store.

import type { PersistEntry } from '../model/types.js';
import { planAdoption, wantsAdoption } from './adopt.js';
import { mountStateOf, problem, refuseData, refuseMount, refuseType } from './checks.js';
import type { Ctx } from './context.js';
import type { Owner } from './owners.js';
import { createFile, ensureParents, ensureStoreParent, fixOwnership, link } from './steps.js';
import type { LiveState, Mechanism } from './types.js';

/** systemd treats this content as "no id yet" and commits the id it generates into the file. */
export const MACHINE_ID_SEED = 'uninitialized\n';
const MACHINE_ID = '/etc/machine-id';

export function planFile(ctx: Ctx, entry: PersistEntry): [Mechanism, LiveState] {
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
    if (target.type === 'file' && wantsAdoption(ctx, entry)) {
      // With the file moved into the store (or set aside), the link takes its place.
      return planAdoption(ctx, entry, 'file') ? planFile(ctx, entry) : ['symlink', 'occupied'];
    }
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
    if (!wantsAdoption(ctx, entry)) {
      refuseData(ctx, entry, target);
      return ['bind', 'occupied'];
    }
    // With the file moved, nothing is at the target: plan the rest as usual.
    return planAdoption(ctx, entry, 'file') ? planFile(ctx, entry) : ['bind', 'occupied'];
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
