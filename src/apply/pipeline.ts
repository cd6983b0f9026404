// The stages, composed: config → model → observed state → plan → execute → record.

import { hostPath, isWithin } from '../core/paths.js';
import { RefusedError, UsageError } from '../errors.js';
import { buildGeneration } from '../generations/build.js';
import {
  generationDir,
  generationFile,
  latestNumber,
  readApplied,
  readLiveSummary,
  setupFile,
  setupLine,
  setupOf,
  setupOfGeneration,
} from '../generations/store.js';
import { generationRecords } from '../generations/text.js';
import type { Observed } from '../model/observed.js';
import type { Model } from '../model/types.js';
import {
  type MountsSeen,
  mountsSeen,
  type ObservationLog,
  type Observations,
  observe,
} from '../observe/observe.js';
import { buildPlan } from '../plan/build.js';
import type { Generation } from '../plan/generation.js';
import type { Plan, Skipped } from '../plan/types.js';
import type { TextPieces } from '../system/file-content.js';
import { readMountInfoAhead } from '../system/mountinfo.js';
import { movesDirs, readPendingMoves } from '../system/move-journal.js';
import { lstatOrNull } from '../system/safe-fs.js';
import type { SystemOps } from '../system/system.js';
import { VERSION } from '../version.js';
import {
  type ExecuteEvent,
  type ExecuteOptions,
  type ExecuteResult,
  executePlan,
} from './execute.js';
import { loadModel, type ModelKey } from './model-cache.js';
import { phaseDone } from './phases.js';
import { resolveRoot } from './root.js';

export { resolveRoot };

export interface PlanRequest {
  configFile: string;
  root: string;
  verbose?: boolean;
  /** Keep the validated model in <root>/run/keepsake for the next run (apply does). */
  cacheModel?: boolean;
  /** Plan this model instead of the configuration file's (rollback). */
  model?: Model;
  /** `--adopt`: move data found at targets into the store instead of refusing. */
  adopt?: boolean;
  /** `--keep-going`: leave out entries with problems of their own instead of refusing. */
  keepGoing?: boolean;
}

/** Names a run's backups of adopted data by its time, e.g. `2026-11-25T03-49-50-054Z`. */
export function backupTagFor(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/** What an apply needs: the model, the plan, and the generation live before it. */
export interface Prepared {
  model: Model;
  plan: Plan;
  /** The live generation, when the plan had to move away from it (read lazily otherwise). */
  previous?: Generation;
  /** The live generation's number, when its setup is the one planned and nothing of it was
   *  skipped. */
  liveUnchanged?: number;
  /** What the plan was made from, for the settled record, when all of it is known. */
  basis?: { key: ModelKey; observed: Observations; mounts: MountsSeen };
  /** The model's key, when the model is the configuration's (not a rollback's). */
  key?: ModelKey;
}

export async function preparePlan(req: PlanRequest): Promise<Prepared> {
  const root = resolveRoot(req.root);
  phaseDone('start');
  // The mount table is read on a thread of the addon's while the model loads: the kernel takes
  // milliseconds to write out a large one. Invariant: an apply holds its lock by now
  // (commands/apply.ts), so no other apply mounts meanwhile, and only loading the model (which
  // reads files and changes nothing) lies between this and the observation of this plan, the
  // only one that takes it; planAgain, after acting, reads the table anew.
  const mountTable = readMountInfoAhead();
  let key: ModelKey | undefined;
  const model =
    req.model ??
    (await loadModel(req.configFile, {
      root,
      verbose: req.verbose === true,
      store: req.cacheModel === true,
      keyed: (k) => {
        key = k;
      },
    }));
  phaseDone('config');
  return planModel(root, model, req.model === undefined ? key : undefined, req, mountTable);
}

/**
 * What the next apply with the same configuration and options would plan, asked right after
 * an apply: the model is the one just applied (the configuration's, with its key), everything
 * else is observed again. Its plan is empty when the apply left everything in place.
 */
export function planAgain(prepared: Prepared, req: PlanRequest): Prepared | undefined {
  if (prepared.key === undefined) return undefined;
  return planModel(prepared.plan.root, prepared.model, prepared.key, req);
}

/** The plan of `model` (the configuration's when `key` is given) against the system now. */
function planModel(
  root: string,
  model: Model,
  key: ModelKey | undefined,
  req: PlanRequest,
  /** The table read ahead for the first plan of a run (its phases are told); none for a plan
   *  made again after acting. */
  mountTable?: () => string,
): Prepared {
  const phases = mountTable !== undefined;
  // The live generation matters only when its setup differs from this one (something to take
  // down); the small summary beside it says whether, without reading the whole record.
  const summary = readLiveSummary(root);
  const unchanged = summary !== undefined && summary.setup === setupOf(model);
  // A live generation that skipped entries is written again even when nothing changes, so
  // that its list of skipped entries stays true.
  const complete = unchanged && summary.skipped === 0;
  // An apply of the live setup keeps what its plan was made from: if it plans nothing, the
  // next one with the same inputs can know that without planning (settled.ts).
  const log: ObservationLog | undefined =
    complete && req.cacheModel === true && key !== undefined ? { complete: false } : undefined;
  const previous = unchanged ? undefined : readApplied(root);
  // Backups of adopted data are named for the time of this run.
  const backupTag = backupTagFor(new Date());
  const observed = observe(root, log, mountTable);
  if (phases) phaseDone('observe');
  const pendingMoves = readPendingMoves(root, model.stores);
  const plan = buildPlan(model, observed, previous, {
    adopt: req.adopt === true,
    backupTag,
    keepGoing: req.keepGoing === true,
    pendingMoves,
  });
  if (phases) phaseDone('plan');
  const basis =
    key && log && pendingMoves.length === 0
      ? settledBasis(root, model, observed, log, key)
      : undefined;
  return {
    model,
    plan,
    ...(key ? { key } : {}),
    ...(previous ? { previous } : {}),
    ...(complete ? { liveUnchanged: summary.number } : {}),
    ...(basis ? { basis } : {}),
  };
}

/**
 * What the plan was made from, when it can be kept: the journals of interrupted moves are
 * read outside the observer, so their directories join its questions (each must be missing or
 * empty, as they were for this plan).
 */
function settledBasis(
  root: string,
  model: Model,
  observed: Observed,
  log: ObservationLog,
  key: ModelKey,
): Prepared['basis'] {
  for (const dir of movesDirs(root, model.stores)) {
    const st = observed.stat(dir);
    if (st.type === 'directory' ? !observed.isEmpty(dir) : st.type !== 'missing') return undefined;
  }
  const mounts = mountsSeen(log);
  if (!log.complete || !log.taken || mounts === undefined) return undefined;
  return { key, observed: log.taken, mounts };
}

export interface ApplyResult extends ExecuteResult {
  /** The generation now live. */
  generation?: number;
  /** `--keep-going`: every entry left out, by the plan or because a step failed. */
  skippedEntries: Skipped[];
  /** How many actions were carried out. */
  done: number;
  /** Stores where a new generation was written. */
  recorded: string[];
  /** Stores whose `.keepsake` directory is not root's alone: no generation written there. */
  skipped: string[];
  /** Of those, the stores a user owns (Home Manager's classic layout): skipped by design. */
  userOwned: string[];
}

/**
 * The storage directories of Home Manager's classic layout: a user's own, whose entries are
 * kept at `<store>/<entry>` rather than under `<store><home>`.
 */
export function classicStores(model: Model): Set<string> {
  return new Set(
    model.entries
      .filter((e) => e.home && !isWithin(e.store, `${e.storeRoot}${e.home.path}`))
      .map((e) => e.storeRoot),
  );
}

/**
 * Carry out a plan that has no problems (entries `--keep-going` skipped are not in it: their
 * problems are not the plan's), then record the generation: in `<root>/run` as what
 * is live, and in every store as history when the setup changed.
 */
export function applyPlan(
  prepared: Prepared,
  sys: SystemOps,
  onEvent: (e: ExecuteEvent) => void,
  now: Date,
  options: ExecuteOptions & { rollbackOf?: number; startedMs?: number } = {},
): ApplyResult {
  const result = executeAndRecord(prepared, sys, onEvent, now, options);
  phaseDone('record');
  return result;
}

function executeAndRecord(
  prepared: Prepared,
  sys: SystemOps,
  onEvent: (e: ExecuteEvent) => void,
  now: Date,
  options: ExecuteOptions & { rollbackOf?: number; startedMs?: number },
): ApplyResult {
  const { model, plan } = prepared;
  if (plan.problems.length > 0) throw new RefusedError(plan.problems);
  if (sys.live && plan.actions.length > 0 && process.geteuid?.() !== 0) {
    throw new UsageError(
      'keepsake apply changes mounts and owners: it must run as root',
      'run it as root, or inside a user and mount namespace (unshare --map-root-user --mount); `keepsake plan` shows the steps without root',
    );
  }
  // A plan made with --keep-going carries its skipped list: it is carried out entry by entry.
  const keepGoing = plan.skipped !== undefined;
  const executed = executePlan(plan, sys, onEvent, { ...options, keepGoing });
  phaseDone('execute');
  const skippedEntries = [...(plan.skipped ?? []), ...failedToSkipped(plan, executed)];
  let done = 0;
  for (const o of executed.outcomes) if (o.status === 'done') done++;
  const result = { ...executed, skippedEntries, done };
  const recorded: string[] = [];
  const skipped: string[] = [];
  const userOwned: string[] = [];
  if (!result.ok) return { ...result, recorded, skipped, userOwned };
  const skippedNow = skippedEntries.length;
  // A re-apply of the live setup that did nothing (and skipped nothing) has nothing to record.
  if (
    plan.actions.length === 0 &&
    skippedNow === 0 &&
    prepared.liveUnchanged !== undefined &&
    options.rollbackOf === undefined
  ) {
    return { ...result, generation: prepared.liveUnchanged, recorded, skipped, userOwned };
  }
  // What earlier applies of this boot set up is carried into the new record.
  const previous = prepared.previous ?? readApplied(plan.root);
  const latest = latestNumber(plan.root, model.stores);
  const latestSetup = latest > 0 ? setupOfGeneration(plan.root, model.stores, latest) : undefined;
  const changed =
    latestSetup === undefined || latestSetup !== setupOf(model) || options.rollbackOf !== undefined;
  const number = changed ? latest + 1 : latest;
  // What was set up is what was done: the steps of entries that failed were undone.
  const carried: Plan = {
    ...plan,
    actions: plan.actions.filter((_, i) => executed.outcomes[i]?.status === 'done'),
    ...(keepGoing ? { skipped: skippedEntries } : {}),
  };
  const generation: Generation = {
    ...buildGeneration(model, carried, previous, number, now, VERSION, options.rollbackOf),
    // The whole apply, from the start the caller measured (observe and plan included).
    durationSeconds: (Date.now() - (options.startedMs ?? now.getTime())) / 1000,
  };
  const run = hostPath(plan.root, '/run/keepsake');
  // What the next apply of this boot needs of the generation: not the plan, and of the actions
  // only those that made something it may take down. Both records are built from the same
  // pieces, each stringified once, straight into the bytes of each file (see text.ts).
  const records = generationRecords(generation);
  sys.writeRecord(run, 'applied.json', records.live());
  // The whole record, only for history: a boot with the setup unchanged writes none.
  if (changed) {
    let json: TextPieces | undefined;
    for (const store of model.stores) {
      const dir = hostPath(plan.root, `${store}/.keepsake`);
      const st = lstatOrNull(dir);
      const top = lstatOrNull(hostPath(plan.root, store));
      const rootOnly = (s: typeof st) =>
        !!s && s.isDirectory() && s.uid === 0 && (s.mode & 0o022) === 0;
      // Only where nobody but root can write: a user-owned store (Home Manager's classic
      // layout) may hold a directory of the user's own making there.
      if (!rootOnly(top) || (st && !rootOnly(st))) {
        skipped.push(store);
        if (classicStores(model).has(store) || (top && top.uid !== 0)) userOwned.push(store);
        continue;
      }
      const history = generationDir(plan.root, store);
      json ??= records.history();
      sys.writeRecord(history, generationFile(number), json);
      // After the record it describes: a crash in between only costs a full read next time.
      sys.writeRecord(history, setupFile(number), setupLine(setupOf(generation.model), json));
      recorded.push(store);
    }
  }
  // Written last, after every record it stands for: the summary lets the next apply of an
  // unchanged setup do nothing, so a history record that could not be written (a full store)
  // or a crash before it leaves no summary, and the next apply reads the live record in full
  // and writes the history again.
  sys.writeRecord(run, 'applied.json.sum', `${number} ${setupOf(model)} ${skippedNow}\n`);
  return { ...result, generation: number, recorded, skipped, userOwned };
}

/** Entries whose steps failed while acting (`--keep-going`), as skipped entries. */
function failedToSkipped(plan: Plan, executed: ExecuteResult): Skipped[] {
  if ((executed.failedEntries?.length ?? 0) === 0) return [];
  const targets = new Map(plan.entries.map((e) => [e.id, e.target]));
  return (executed.failedEntries ?? []).map((f) => {
    const target = targets.get(f.entry) ?? f.entry;
    if (f.inside !== undefined)
      return {
        entry: f.entry,
        target,
        reason: `inside ${f.inside}, which could not be put in place`,
        hint: `resolve the failure of ${f.inside}; this entry is put in place with it`,
        inside: f.inside,
        problems: [],
      };
    return {
      entry: f.entry,
      target,
      reason: `a step failed, and its steps were undone: ${f.error?.message ?? 'unknown error'}`,
      hint: f.error?.hint ?? 'see the failed step above, then apply again',
      problems: [],
    };
  });
}
