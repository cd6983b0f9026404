// The planner: config model + observed system → plan. Pure: no fs, no processes, no clock.
// Invariants kept while planning, in this order for every entry:
//   1. every check for the entry passes before any action for it is added;
//   2. parents are created before children, stores before targets, and an entry's bind comes
//      after every directory it needs, so the plan runs top to bottom;
//   3. entries are visited parent first, so a nested target is created inside the bind that
//      will already be there when its own actions run.
// Each kind of entry is planned in its own module; checks.ts holds what makes the planner refuse.

import { topMountAt } from '../core/mount-table.js';
import { hostPath } from '../core/paths.js';
import type { Observed } from '../model/observed.js';
import type { Model, PersistEntry } from '../model/types.js';
import { planSettle } from './adopt.js';
import { checkStoresPersistent, mountStateOf, pathIsSafe } from './checks.js';
import type { Ctx } from './context.js';
import { planDirBind, planDirLink } from './entry-directory.js';
import { planFile } from './entry-file.js';
import type { Generation } from './generation.js';
import { SkipList } from './skip.js';
import { ensureStoreDir, fixOwnership } from './steps.js';
import { buildTopology } from './topology.js';
import { planTransitions } from './transitions.js';
import {
  type EntryPlan,
  type LiveState,
  type Mechanism,
  type PendingMove,
  PLAN_VERSION,
  type Plan,
} from './types.js';
import { planUtab } from './utab.js';
import { createView } from './view.js';

export { MACHINE_ID_SEED } from './entry-file.js';

/**
 * `previous` is the generation live on this system (what the last apply set up), so that
 * what the configuration dropped or changed is taken down first.
 */
export interface PlanOptions {
  /** Move data found at targets into the store instead of refusing (`--adopt`). */
  adopt?: boolean;
  /** Adopt for these targets only (`keepsake add`). */
  adoptTargets?: readonly string[];
  /** Names backups of data set aside; the caller passes the time, the planner has no clock. */
  backupTag?: string;
  /** Leave out entries with problems of their own (and what lies inside them), see skip.ts. */
  keepGoing?: boolean;
  /** Moves earlier runs journaled and did not finish. */
  pendingMoves?: readonly PendingMove[];
}

export function buildPlan(
  model: Model,
  observed: Observed,
  previous?: Generation,
  options: PlanOptions = {},
): Plan {
  const ctx: Ctx = {
    model,
    root: observed.root,
    view: createView(observed),
    topo: buildTopology(model.entries),
    mounts: observed.mounts,
    actions: [],
    problems: [],
    safe: new Set(),
    unmounted: new Set(),
    utabDropped: new Set(),
    adoptAll: options.adopt === true,
    adoptTargets: new Set(options.adoptTargets ?? []),
    backupTag: options.backupTag ?? 'backup',
    adopted: [],
    pendingMoves: new Map((options.pendingMoves ?? []).map((m) => [m.target, m])),
    settleAfterBind: new Set(),
    settled: new Set(),
    storeSources: new Map(),
    notes: [],
  };
  const entries: EntryPlan[] = [];
  // Stale items go before new ones: transitions are planned (and run) first.
  const released = planTransitions(ctx, previous);
  const setupFrom = ctx.actions.length;
  const unsafeStores = checkStoresPersistent(ctx);
  const skip = options.keepGoing ? new SkipList() : undefined;
  const ordered = ctx.topo.ordered;
  // Counted, not for-of: a short run's code is mostly not optimized, and there each step of an
  // iterator is an object made and dropped.
  for (let i = 0; i < ordered.length; i++) {
    const entry = ordered[i]!;
    const parent = skip?.skippedParent(ctx, entry);
    if (skip && parent) {
      entries.push(skip.inside(ctx, entry, parent));
      continue;
    }
    const from = ctx.problems.length;
    const planned = planEntry(ctx, entry, unsafeStores);
    if (skip && planned.state === 'refused') skip.own(ctx, entry, from);
    entries.push(planned);
  }
  planUtab(ctx, entries);
  return {
    version: PLAN_VERSION,
    root: observed.root,
    configFile: model.configFile,
    ...(previous ? { previousGeneration: previous.number } : {}),
    entries,
    released,
    adopted: ctx.adopted,
    actions: ctx.actions,
    setupFrom,
    problems: ctx.problems,
    ...(skip ? { skipped: skip.list } : {}),
    warnings: ctx.notes.length > 0 ? [...model.warnings, ...ctx.notes] : model.warnings,
  };
}

/** A parent that now holds another store's entry must not pass mounts back to its store. */
function planSlave(ctx: Ctx, entry: PersistEntry) {
  const point = ctx.view.mountPoint(entry.target);
  const top = topMountAt(ctx.mounts, hostPath(ctx.root, point));
  const shared = top?.propagation.some((p) => p.startsWith('shared:'));
  const slave = top?.propagation.some((p) => p.startsWith('master:'));
  if (shared && !slave) {
    ctx.actions.push({
      kind: 'propagation',
      entry: entry.id,
      target: point,
      type: 'slave',
      reason: 'another store is mounted inside it',
    });
  }
}

function planEntry(ctx: Ctx, entry: PersistEntry, unsafeStores: Set<string>): EntryPlan {
  // Where the plan stood before this entry, for finish() to roll back to if it is refused.
  const actions = ctx.actions.length;
  const problems = ctx.problems.length;
  const view = ctx.view.checkpoint();
  if (unsafeStores.has(entry.storeRoot)) {
    return finish(ctx, entry, actions, problems, view, 'bind', 'missing');
  }
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
    if (entry.kind === 'directory') {
      ctx.view.addRedirect({ entry, from: entry.target, to: entry.store });
      if (ctx.topo.hostsForeign.has(entry.id)) planSlave(ctx, entry);
    }
    return finish(ctx, entry, actions, problems, view, 'bind', 'mounted');
  }
  if (!pathIsSafe(ctx, entry, entry.store) || !pathIsSafe(ctx, entry, entry.target)) {
    return finish(ctx, entry, actions, problems, view, 'bind', 'missing');
  }
  if (ctx.topo.covered.has(entry.id)) {
    if (entry.kind === 'directory') ensureStoreDir(ctx, entry);
    return finish(ctx, entry, actions, problems, view, 'covered', 'covered');
  }
  if (entry.kind === 'directory') {
    const [mechanism, live] =
      entry.method === 'symlink' ? planDirLink(ctx, entry) : planDirBind(ctx, entry);
    if (ctx.problems.length === problems) {
      ctx.view.addRedirect({ entry, from: entry.target, to: entry.store });
    }
    return finish(ctx, entry, actions, problems, view, mechanism, live);
  }
  const [mechanism, live] = planFile(ctx, entry);
  return finish(ctx, entry, actions, problems, view, mechanism, live);
}

/** The entry's plan, once planned from where the plan stood before it (`actions`, `problems`
 *  and the view's checkpoint `view`). A function of its own, not a closure in planEntry: one
 *  made for each of thousands of entries was a good part of what a no-op plan allocates. */
function finish(
  ctx: Ctx,
  entry: PersistEntry,
  actions: number,
  problems: number,
  view: number,
  mechanism: Mechanism,
  live: LiveState,
): EntryPlan {
  const refused = ctx.problems.length > problems;
  // Rule 1: a refused entry contributes no actions, and later entries must not count on
  // the directories it would have created.
  if (refused) {
    ctx.actions.length = actions;
    ctx.view.rollback(view);
  } else planSettle(ctx, entry);
  const state = refused ? 'refused' : ctx.actions.length > actions ? 'pending' : 'ok';
  // Spelled out rather than spread from a shared object: every entry's plan gets one shape,
  // which keeps the thousands of later reads of it fast.
  return {
    id: entry.id,
    kind: entry.kind,
    target: entry.target,
    store: entry.store,
    mechanism,
    live,
    state,
  };
}
