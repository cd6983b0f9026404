import { type ExecuteEvent, faultInjection } from '../../apply/execute.js';
import { phaseDone } from '../../apply/phases.js';
import {
  applyPlan,
  type Prepared,
  planAgain,
  preparePlan,
  resolveRoot,
} from '../../apply/pipeline.js';
import { writeSettled } from '../../apply/settled.js';
import { BOOT_ENV } from '../../core/boot-env.js';
import { count } from '../../core/text.js';
import { setupOf } from '../../generations/store.js';
import { anyTestHook, hooks } from '../../hooks.js';
import type { Model } from '../../model/types.js';
import { describeEntryState } from '../../plan/format.js';
import { loadBinding } from '../../system/binding.js';
import { acquireLock } from '../../system/lock.js';
import { createRecordingSystem, openLiveSystem, type SystemOps } from '../../system/system.js';
import { applyResultValue } from '../apply-result.js';
import type { ApplyOptions } from '../declare/apply.js';
import { printAction, printApplied } from '../format-apply.js';
import type { Output } from '../output.js';
import { actionLine, recordVersion } from '../records.js';

/** What rollback changes about an apply: the model comes from an older generation. */
export interface ApplySource {
  model?: Model;
  rollbackOf?: number;
}

export async function run(
  opts: ApplyOptions,
  out: Output,
  source: ApplySource = {},
): Promise<number> {
  if (opts.dryRun) return applyOnce(opts, out, source);
  const startedMs = Date.now();
  const root = resolveRoot(opts.root);
  // Observing, planning and acting all happen under the lock: a plan is only true while no
  // other keepsake changes the same root.
  const lock = acquireLock(root, loadBinding().binding, 'apply');
  if (lock.notice) out.error(out.paint('yellow', `keepsake: ${lock.notice}`));
  const seen: Seen = { startedMs, plain: !lock.notice && !anyTestHook(hooks()) };
  let code = 1;
  try {
    const pause = hooks().holdLockMs; // hidden, for tests
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    code = await applyOnce(opts, out, source, seen);
    return code;
  } finally {
    try {
      // Failed applies too: a fleet must see them. Never fails the apply: it warns.
      const { afterApply } = await import('../../metrics/after-apply.js');
      const ok = code === 0;
      const configFile = opts.config;
      const warnings = await afterApply({ root, configFile, ok, startedMs, model: seen.model });
      for (const w of warnings) out.error(out.paint('yellow', `keepsake: ${w}`));
      // Kept only when the apply said nothing more than its report (settled.ts).
      if (ok && warnings.length === 0) seen.settle?.();
    } finally {
      lock.release();
    }
  }
}

/** The settled record of a plan that did nothing, when it may be kept. */
function settledFrom(prepared: Prepared, generation: number | undefined, notRecorded: number) {
  const { plan, basis, model } = prepared;
  const nothingDone =
    basis !== undefined &&
    plan.actions.length === 0 &&
    plan.problems.length === 0 &&
    // The next apply would say only its report: no warning about the live system either.
    (!model.showWarnings || plan.warnings.length === 0) &&
    (plan.skipped?.length ?? 0) === 0 &&
    generation !== undefined &&
    generation === prepared.liveUnchanged &&
    plan.released.length === 0 &&
    plan.adopted.length === 0 &&
    notRecorded === 0;
  if (!nothingDone) return undefined;
  return {
    key: basis.key,
    observed: basis.observed,
    mounts: basis.mounts,
    setup: setupOf(model),
    entries: plan.entries.length,
    generation,
    resultVersion: recordVersion('apply.result'),
  };
}

/**
 * After an apply that did something: the plan the next apply would make, made now (the model
 * in hand, the system observed again, under the same lock). When it is empty, the next apply
 * is answered by the settled record as it would be after a re-apply that planned nothing.
 */
function settledAfter(prepared: Prepared, generation: number | undefined, opts: ApplyOptions) {
  if (generation === undefined) return undefined;
  try {
    const again = planAgain(prepared, {
      configFile: opts.config,
      root: prepared.plan.root,
      cacheModel: true,
      adopt: opts.adopt === true,
      keepGoing: opts.keepGoing === true,
    });
    // Its report: nothing done, the generation this apply made live, nothing left unrecorded.
    // Without the mount table beside it (260 KB to write at 1,300 entries, in the apply that
    // acted): a later mount elsewhere sends the next apply to planning once, which keeps it.
    const made = again ? settledFrom(again, generation, 0) : undefined;
    if (made === undefined) return undefined;
    const { mounts: _mounts, ...record } = made;
    return record;
  } catch {
    // The apply is done and has reported: a system that cannot be looked at again now only
    // means no record, and the next apply plans.
    return undefined;
  }
}

/** What a real apply learns for the metrics: when it started, and the model it applied. */
interface Seen {
  startedMs: number;
  model?: Model;
  /** Nothing was said before the report (no notice about the lock), and no test hook is set:
   *  a settled apply would say exactly what this one says. */
  plain?: boolean;
  /** Writes the settled record: of this plan, when it did nothing; else of the plan made
   *  again once it acted, when that one has nothing left to do. */
  settle?: () => void;
}

async function applyOnce(
  opts: ApplyOptions,
  out: Output,
  source: ApplySource,
  seen?: Seen,
): Promise<number> {
  const prepared = await preparePlan({
    configFile: opts.config,
    root: opts.root,
    verbose: opts.verbose,
    cacheModel: !opts.dryRun,
    adopt: opts.adopt === true,
    keepGoing: opts.keepGoing === true,
    ...(source.model ? { model: source.model } : {}),
  });
  const { model, plan } = prepared;
  if (seen) seen.model = model;
  if (!out.json && model.showWarnings) out.warnings(plan.warnings);
  const verbose = (opts.verbose || model.verbose) && !out.json;
  if (verbose) {
    out.line(
      out.paint(
        'dim',
        `${count(plan.entries.length, 'entry', 'entries')} in ${model.stores.join(', ')}, root ${plan.root}:`,
      ),
    );
    for (const e of plan.entries) out.line(out.paint('dim', `  ${describeEntryState(e)}`));
  }
  let sys: SystemOps = createRecordingSystem();
  if (!opts.dryRun) {
    const live = openLiveSystem();
    if (live.notice) {
      out.error(out.paint('yellow', `keepsake: ${live.notice}`));
      if (seen) seen.plain = false;
    }
    if (verbose) out.line(out.paint('dim', `mount backend: ${live.backend}`));
    sys = live.sys;
  }
  const prefix = opts.dryRun ? 'would ' : '';
  const onEvent = ({ outcome }: ExecuteEvent) => {
    if (out.json) {
      out.recordText(actionLine('apply.event', outcome));
      return;
    }
    printAction(out, outcome, prefix);
  };
  const result = applyPlan(prepared, sys, onEvent, new Date(), {
    ...faultInjection(),
    ...(source.rollbackOf ? { rollbackOf: source.rollbackOf } : {}),
    ...(seen ? { startedMs: seen.startedMs } : {}),
  });
  const skipped = result.skippedEntries;
  const summary = applyResultValue({
    ok: result.ok && skipped.length === 0,
    dryRun: !!opts.dryRun,
    actions: plan.actions.length,
    entries: plan.entries.length,
    ...(result.generation !== undefined ? { generation: result.generation } : {}),
    released: plan.released,
    adopted: plan.adopted,
    recorded: result.recorded,
    notRecorded: result.skipped,
    ...(plan.skipped ? { skipped } : {}),
  });
  if (out.json) out.record('apply.result', summary);
  else printApplied(out, plan, result, prefix);
  if (!result.ok) return 1;
  const code = skipped.length > 0 ? 1 : 0;
  const homeFiles =
    source.model === undefined && plan.root === '/' && (model.homeFiles?.length ?? 0) > 0;
  // Whatever the output mode of the next apply: no listing of entries, no warnings, and
  // nothing to do after the report (metrics).
  const onlyTheReport =
    !opts.verbose &&
    !model.verbose &&
    (!model.showWarnings || plan.warnings.length === 0) &&
    model.metrics === undefined;
  if (code === 0 && !homeFiles && seen?.plain === true && onlyTheReport) {
    const options = { adopt: opts.adopt === true, keepGoing: opts.keepGoing === true };
    // A plan that did nothing, and whose report was only its last line: the next apply that
    // finds everything it was made from unchanged says the same without planning (settled.ts).
    // An apply that did something asks the same of the plan the next apply would make, now,
    // except at boot (keepsake.service), where local-fs.target waits for it: there, the first
    // later apply plans, and keeps the record itself.
    const planAgainNow = plan.actions.length > 0 && process.env[BOOT_ENV] !== '1';
    if (plan.actions.length === 0 || planAgainNow) {
      seen.settle = () => {
        phaseDone('output');
        const settled = planAgainNow
          ? settledAfter(prepared, result.generation, opts)
          : settledFrom(prepared, result.generation, result.skipped.length);
        if (settled) writeSettled(plan.root, { ...settled, options });
        phaseDone('settle');
      };
    }
  }
  // Home files come after the system's binds: a home file may lie inside a bound directory.
  if (homeFiles) {
    const { forwarded, runForUsers } = await import('./home-apply.js');
    const args = [
      'apply',
      '--files-only',
      ...forwarded({ ...opts, json: out.json, quiet: out.quiet }),
    ];
    const home = await runForUsers(model.homeFiles ?? [], args, { prepare: !opts.dryRun, out });
    return Math.max(home, code);
  }
  return code;
}
