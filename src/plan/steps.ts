// Steps that several kinds of entry share: creating stores, targets and their parents,
// placeholders and links, and applying the owner and mode the config names.

import { parentOf } from '../core/paths.js';
import type { PathState } from '../model/observed.js';
import type { PersistEntry } from '../model/types.js';
import { problem } from './checks.js';
import type { Ctx } from './context.js';
import { type Owner, ownerForCreatedDir } from './owners.js';
import type { Side } from './types.js';

/** Make sure the entry's store directory exists with the declared owner; returns its owner. */
export function ensureStoreDir(ctx: Ctx, entry: PersistEntry): Owner | undefined {
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

export function ensureStoreParent(ctx: Ctx, entry: PersistEntry): boolean {
  return ensureParents(ctx, entry, entry.store, 'store');
}

/** Create `path` (and missing parents) unless it exists; false when something is in the way. */
export function ensureDir(
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
  ctx.actions.push({
    kind: 'mkdir',
    entry: entry.id,
    side,
    path: at,
    uid: owner.uid,
    gid: owner.gid,
    mode: owner.mode,
    reason,
  });
  ctx.view.plan(path, planned('directory', owner));
  return true;
}

export function ensureParents(ctx: Ctx, entry: PersistEntry, path: string, side: Side): boolean {
  const parent = parentOf(path);
  if (parent === path) return true;
  const st = ctx.view.stat(parent);
  if (st.type === 'directory') return true;
  const owner = ownerForCreatedDir(entry, parent, side);
  return ensureDir(ctx, entry, parent, side, owner, `parent of ${path}`);
}

export function createFile(
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

export function link(ctx: Ctx, entry: PersistEntry, why = `persist ${entry.target}`) {
  if (!ensureParents(ctx, entry, entry.target, 'target')) return;
  const owner = entry.home ? { uid: entry.home.uid, gid: entry.home.gid } : { uid: 0, gid: 0 };
  const at = ctx.view.canonical(entry.target);
  ctx.actions.push({
    kind: 'symlink',
    entry: entry.id,
    path: at,
    to: entry.store,
    ...owner,
    reason: why,
  });
  ctx.view.plan(entry.target, {
    ...planned('symlink', { ...owner, mode: 0o777 }),
    linkTarget: entry.store,
  });
}

/** Apply owner and mode the config names explicitly, and only those, only when they differ. */
export function fixOwnership(ctx: Ctx, entry: PersistEntry, path: string, st: PathState) {
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

export function planned(type: 'directory' | 'file' | 'symlink', owner: Owner): PathState {
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
