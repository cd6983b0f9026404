// Planning a file entry: bind the stored file when it exists, link into the store when it
// does not yet, and seed /etc/machine-id so systemd commits its id into the store (or, when
// the system already booted with an id, keep that one).

import { MACHINE_ID } from '../core/paths.js';
import type { PersistEntry } from '../model/types.js';
import { adoptOrRefuse, planAdoption, wantsAdoption } from './adopt.js';
import { isTransientMachineId, mountStateOf, problem, refuseMount, refuseType } from './checks.js';
import type { Ctx } from './context.js';
import type { Owner } from './owners.js';
import { createFile, ensureParents, ensureStoreParent, fixOwnership, link } from './steps.js';
import type { LiveState, Mechanism } from './types.js';

/** systemd treats this content as "no id yet" and commits the id it generates into the file. */
export const MACHINE_ID_SEED = 'uninitialized\n';
/** Where systemd keeps the transient id it binds over /etc/machine-id. */
const TRANSIENT_MACHINE_ID = '/run/machine-id';

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
  const isMachineId = entry.target === MACHINE_ID;
  const transientId = isMachineId && mount === 'foreign' && isTransientMachineId(ctx, entry);
  if (mount !== 'none' && !transientId) {
    refuseMount(ctx, entry, mount);
    return ['bind', mount === 'shadowed' ? 'shadowed' : 'wrong-source'];
  }
  if (isMachineId && (transientId || (target.type === 'file' && target.size > 0))) {
    const running = machineIdIn(view.readText(entry.target, 64));
    if (running) return planRunningMachineId(ctx, entry, running, transientId);
  }
  if (target.type === 'file' && target.size > 0) {
    // With the file moved, nothing is at the target: plan the rest as usual.
    return adoptOrRefuse(ctx, entry, target, 'file', () => planFile(ctx, entry));
  }
  if (target.type !== 'file' && target.type !== 'missing') {
    refuseType(ctx, entry, target);
    return ['bind', 'occupied'];
  }
  if (store.type === 'missing' && target.type === 'missing' && !isMachineId) {
    // Like impermanence: link into the store, so the program creates the file there.
    if (!ensureStoreParent(ctx, entry)) return ['symlink', 'missing'];
    link(ctx, entry, notStoredYet(entry));
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
  bindFile(ctx, entry);
  return [isMachineId && store.type === 'missing' ? 'seed-and-bind' : 'bind', 'missing'];
}

function bindFile(ctx: Ctx, entry: PersistEntry) {
  ctx.actions.push({
    kind: 'bind',
    entry: entry.id,
    entryKind: 'file',
    source: entry.store,
    target: ctx.view.mountPoint(entry.target),
    reason: `persist ${entry.target}`,
  });
}

/** The id in a machine-id file's text, if it holds one. */
function machineIdIn(text: string | undefined): string | undefined {
  const id = text?.trim();
  return id && /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

/**
 * keepsake runs after PID 1 (service mode): systemd already wrote an id to the ephemeral
 * /etc/machine-id. On the first boot that id is kept in the store; later, the stored id is
 * bound over the fresh one, and a warning says that early programs saw the fresh one.
 */
function planRunningMachineId(
  ctx: Ctx,
  entry: PersistEntry,
  running: string,
  transient: boolean,
): [Mechanism, LiveState] {
  const store = ctx.view.stat(entry.store);
  // systemd's transient id is bound from /run/machine-id, which shares its mount events: a bind
  // on top of it would appear at /run/machine-id too, and systemd would unmount that copy a
  // second time at shutdown. The stored id replaces it instead (the same id on a first boot).
  // Nothing is lost: the file under /run stays, and a failed apply binds it back.
  const replaceTransient = () => {
    if (!transient) return;
    ctx.actions.push({
      kind: 'unmount',
      entry: entry.id,
      target: entry.target,
      source: TRANSIENT_MACHINE_ID,
      entryKind: 'file',
      reason: "systemd's transient machine id, replaced by the stored one",
    });
  };
  if (store.type === 'missing') {
    if (!ensureStoreParent(ctx, entry)) return ['bind', 'missing'];
    createFile(
      ctx,
      entry,
      entry.store,
      'store',
      { uid: 0, gid: 0, mode: 0o444 },
      `${running}\n`,
      'keep the machine id this system booted with',
    );
    replaceTransient();
    bindFile(ctx, entry);
    return ['bind', 'missing'];
  }
  const stored = machineIdIn(ctx.view.readText(entry.store, 64));
  if (!stored) {
    problem(
      ctx,
      entry,
      'machine-id-unset',
      entry.store,
      `the stored ${entry.store} holds no machine id, but this system already booted with ${running}`,
      `to keep the running id: rm ${entry.store}, then apply again; to let systemd commit a new one, bind it from the initrd (keepsake compile --systemd --initrd)`,
    );
    return ['bind', 'occupied'];
  }
  if (stored !== running) {
    ctx.notes.push({
      severity: 'warning',
      code: 'machine-id-late',
      message: `this boot started with machine id ${running}; keepsake binds the stored ${stored} over it, but programs started earlier (the journal among them) saw the other one`,
      hint: `put systemd.machine_id=${stored} on the kernel command line, or bind it from the initrd (keepsake compile --systemd --initrd)`,
      source: entry.source,
    });
  }
  fixOwnership(ctx, entry, entry.store, store);
  replaceTransient();
  bindFile(ctx, entry);
  return ['bind', 'missing'];
}

/**
 * Why a file entry is a link for now: its stored file does not exist yet. The link dangles
 * until the program writes the file through it; from the next apply on (the next boot), the
 * stored file exists and is bound instead. Host keys name what makes them.
 */
function notStoredYet(entry: PersistEntry): string {
  const later = `the stored file does not exist yet: ${entry.target} is a link until a program writes it there, and is bound from the next boot on`;
  if (/^\/etc\/ssh\/ssh_host_[a-z0-9]+_key(\.pub)?$/.test(entry.target)) {
    const store = entry.storeRoot;
    return `${later}; keepsake-ssh-host-keys.service (install-service, compile) makes host keys at boot, or run: mkdir -p ${store}/etc/ssh && ssh-keygen -A -f ${store}`;
  }
  return later;
}
