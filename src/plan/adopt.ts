// Adoption: data found where keepsake wants to mount or link is moved into the store when
// the store has nothing there yet, and set aside in a backup inside the store otherwise (the
// store's copy wins). Nothing is deleted; the plan says what goes where, and how much.

import type { PersistEntry } from '../model/types.js';
import { MISSING } from '../observe/types.js';
import type { Ctx } from './context.js';
import { ensureParents } from './steps.js';

export function wantsAdoption(ctx: Ctx, entry: PersistEntry): boolean {
  return ctx.adoptAll || entry.adopt || ctx.adoptTargets.has(entry.target);
}

/** Plan the move of what lies at the target; false when it cannot be planned. */
export function planAdoption(ctx: Ctx, entry: PersistEntry, type: 'directory' | 'file'): boolean {
  const { view } = ctx;
  const target = view.stat(entry.target);
  const store = view.stat(entry.store);
  const storeEmpty =
    store.type === 'missing' ||
    (type === 'directory' && store.type === 'directory' && view.isEmpty(entry.store));
  const how = storeEmpty ? 'into-store' : 'backup';
  const to = storeEmpty
    ? entry.store
    : `${entry.storeRoot}/.keepsake/backup/${ctx.backupTag}${entry.target}`;
  if (storeEmpty && !ensureParents(ctx, entry, entry.store, 'store')) return false;
  const c = type === 'directory' ? view.contents(entry.target) : undefined;
  const files = c ? c.files : 1;
  const bytes = c ? c.bytes : target.size;
  ctx.actions.push({
    kind: 'adopt',
    entry: entry.id,
    from: view.canonical(entry.target),
    to,
    type,
    how,
    files,
    bytes,
    reason: storeEmpty ? 'the store has nothing here yet' : 'the store already holds data here',
  });
  ctx.adopted.push({ entry: entry.id, from: entry.target, to, how, files, bytes });
  const owner = { uid: target.uid, gid: target.gid, mode: target.mode };
  if (type === 'directory') {
    view.plan(entry.target, { ...target, empty: true });
    if (storeEmpty && store.type === 'missing') {
      view.plan(entry.store, { ...target, ...owner, empty: false });
    }
  } else {
    view.plan(entry.target, MISSING);
    if (storeEmpty) view.plan(entry.store, { ...target, ...owner });
  }
  return true;
}
