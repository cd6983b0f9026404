// Adoption: data found where keepsake wants to mount or link is moved into the store when
// the store has nothing there yet, and set aside in a backup inside the store otherwise (the
// store's copy wins). Nothing is deleted; the plan says what goes where, and how much.
//
// A move is two actions: `adopt` copies and verifies (the source stays whole), and
// `adopt-finish` settles what is left at the source and removes only what was verified.
// For a bound directory the finish comes after the bind, so that what programs write during
// the move lands in the store; for a file or a link it comes right after the copy (the link
// or the file's bind needs the old one gone). A move an earlier run journaled and did not
// finish is carried on as it was planned then, never started afresh.

import { mountsInside } from '../core/mount-table.js';
import { baseName, hostPath, parentOf } from '../core/paths.js';
import type { PathState } from '../model/observed.js';
import { MISSING } from '../model/observed.js';
import type { PersistEntry } from '../model/types.js';
import { problem, refuseData } from './checks.js';
import type { Ctx } from './context.js';
import { ensureParents } from './steps.js';
import type { Action, LiveState, Mechanism } from './types.js';

export function wantsAdoption(ctx: Ctx, entry: PersistEntry): boolean {
  return (
    ctx.adoptAll ||
    entry.adopt ||
    ctx.adoptTargets.has(entry.target) ||
    ctx.pendingMoves.has(entry.target)
  );
}

/**
 * Data at the target: refused, unless the entry is to be adopted; then its move is planned
 * and the entry planned again (`again`) as if the target were empty.
 */
export function adoptOrRefuse(
  ctx: Ctx,
  entry: PersistEntry,
  target: PathState,
  type: 'directory' | 'file',
  again: () => [Mechanism, LiveState],
): [Mechanism, LiveState] {
  if (!wantsAdoption(ctx, entry)) {
    refuseData(ctx, entry, target);
    return ['bind', 'occupied'];
  }
  return planAdoption(ctx, entry, type) ? again() : ['bind', 'occupied'];
}

/** Plan the move of what lies at the target; false when it cannot be planned. */
export function planAdoption(ctx: Ctx, entry: PersistEntry, type: 'directory' | 'file'): boolean {
  const { view } = ctx;
  if (type === 'directory' && mountInside(ctx, entry)) return false;
  const target = view.stat(entry.target);
  const store = view.stat(entry.store);
  const pending = ctx.pendingMoves.get(entry.target);
  const resume = pending !== undefined && pending.phase !== 'copy';
  const storeEmpty =
    store.type === 'missing' ||
    (type === 'directory' && store.type === 'directory' && view.isEmpty(entry.store));
  const how = resume ? pending.how : storeEmpty ? 'into-store' : 'backup';
  const backupDir = `${entry.storeRoot}/.keepsake/backup/${ctx.backupTag}${entry.target}`;
  const to = resume ? pending.to : how === 'into-store' ? entry.store : backupDir;
  const kept = resume ? pending.backup : backupDir;
  if (how === 'into-store' && !resume && !ensureParents(ctx, entry, entry.store, 'store'))
    return false;
  const c = type === 'directory' ? view.contents(entry.target) : undefined;
  const files = c ? c.files : 1;
  const bytes = c ? c.bytes : target.size;
  const from = view.canonical(entry.target);
  const common = {
    entry: entry.id,
    target: entry.target,
    from,
    to,
    type,
    how,
    storeRoot: entry.storeRoot,
    backup: kept,
  };
  ctx.actions.push({
    kind: 'adopt',
    ...common,
    files,
    bytes,
    ...(resume ? { resume: true as const } : {}),
    reason: resume
      ? 'a move an earlier run began'
      : how === 'into-store'
        ? 'the store has nothing here yet'
        : 'the store already holds data here',
  });
  ctx.adopted.push({ entry: entry.id, from: entry.target, to, how, files, bytes });
  if (type === 'directory' && entry.method !== 'symlink') ctx.settleAfterBind.add(entry.target);
  else {
    ctx.actions.push({
      kind: 'adopt-finish',
      ...common,
      reason: 'remove what was copied and verified',
    });
    ctx.settled.add(entry.target);
  }
  const owner = { uid: target.uid, gid: target.gid, mode: target.mode };
  if (type === 'directory') {
    view.plan(entry.target, { ...target, empty: true });
    if (how === 'into-store' && store.type === 'missing') {
      view.plan(entry.store, { ...target, ...owner, empty: false });
    }
  } else {
    view.plan(entry.target, MISSING);
    if (how === 'into-store') view.plan(entry.store, { ...target, ...owner });
  }
  return true;
}

/**
 * At the end of an entry's actions: the finish of its move, when one was begun for it (after
 * its bind), or when an earlier run journaled one and did not finish it.
 */
export function planSettle(ctx: Ctx, entry: PersistEntry): void {
  if (ctx.settled.has(entry.target)) return;
  const pending = ctx.pendingMoves.get(entry.target);
  if (!ctx.settleAfterBind.has(entry.target) && !pending) return;
  let begun: Extract<Action, { kind: 'adopt' }> | undefined;
  for (const a of ctx.actions) if (a.kind === 'adopt' && a.target === entry.target) begun = a;
  ctx.actions.push({
    kind: 'adopt-finish',
    entry: entry.id,
    target: entry.target,
    // The view now redirects the target itself into the store: name it through its parent.
    from:
      begun?.from ??
      `${ctx.view.canonical(parentOf(entry.target))}/${baseName(entry.target)}`.replace(
        /^\/\//,
        '/',
      ),
    to: begun?.to ?? pending!.to,
    type: begun?.type ?? pending!.type,
    how: begun?.how ?? pending!.how,
    storeRoot: entry.storeRoot,
    backup: begun?.backup ?? pending!.backup,
    reason: begun
      ? 'copy again what changed during the move, then remove what was copied and verified'
      : 'finish the move an earlier run began',
  });
  ctx.settled.add(entry.target);
}

/** A file system mounted inside the tree: its data is not the target's to move. */
function mountInside(ctx: Ctx, entry: PersistEntry): boolean {
  const top = hostPath(ctx.root, ctx.view.canonical(entry.target));
  const inside = mountsInside(ctx.mounts, top);
  if (inside.length === 0) return false;
  const shown = inside.map((m) => {
    const at = ctx.root === '/' ? m.mountPoint : m.mountPoint.slice(ctx.root.length);
    return `${at} (${m.fsType} ${m.source})`;
  });
  problem(
    ctx,
    entry,
    'foreign-mount',
    entry.target,
    `${entry.target} has another file system mounted inside it: ${shown.join(', ')}; keepsake moves only the target's own data`,
    `unmount ${inside.length === 1 ? 'it' : 'them'} (or persist ${inside.length === 1 ? 'it' : 'them'} as ${inside.length === 1 ? 'an entry' : 'entries'} of their own), then run keepsake again`,
  );
  return true;
}
