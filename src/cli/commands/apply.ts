import { type ExecuteEvent, faultInjectionFromEnv } from '../../apply/execute.js';
import { acquireLock } from '../../apply/lock.js';
import { applyPlan, preparePlan, resolveRoot } from '../../apply/pipeline.js';
import type { Model } from '../../model/types.js';
import { count, describeAction, describeEntryState, describeReleased } from '../../plan/format.js';
import { loadBinding } from '../../system/binding.js';
import { createRecordingSystem, openLiveSystem, type SystemOps } from '../../system/system.js';
import type { CommonOptions } from '../main.js';
import type { Output } from '../output.js';

/** What rollback changes about an apply: the model comes from an older generation. */
export interface ApplySource {
  model?: Model;
  rollbackOf?: number;
}

export async function run(
  opts: CommonOptions & { dryRun?: boolean; adopt?: boolean },
  out: Output,
  source: ApplySource = {},
): Promise<number> {
  if (opts.dryRun) return applyOnce(opts, out, source);
  // Observing, planning and acting all happen under the lock: a plan is only true while no
  // other keepsake changes the same root.
  const lock = acquireLock(resolveRoot(opts.root), loadBinding().binding, 'apply');
  try {
    const pause = Number(process.env.KEEPSAKE_TEST_HOLD_LOCK_MS ?? 0); // hidden, for tests
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    return await applyOnce(opts, out, source);
  } finally {
    lock.release();
  }
}

async function applyOnce(
  opts: CommonOptions & { dryRun?: boolean; adopt?: boolean },
  out: Output,
  source: ApplySource,
): Promise<number> {
  const prepared = await preparePlan({
    configFile: opts.config,
    root: opts.root,
    verbose: opts.verbose,
    cacheModel: !opts.dryRun,
    adopt: opts.adopt === true,
    ...(source.model ? { model: source.model } : {}),
  });
  const { model, plan } = prepared;
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
    if (live.notice) out.error(out.paint('yellow', `keepsake: ${live.notice}`));
    if (verbose) out.line(out.paint('dim', `mount backend: ${live.backend}`));
    sys = live.sys;
  }
  const prefix = opts.dryRun ? 'would ' : '';
  const onEvent = ({ outcome }: ExecuteEvent) => {
    if (out.json) {
      out.value({
        event: 'action',
        index: outcome.index,
        status: outcome.status,
        action: outcome.action,
        ...(outcome.error ? { error: outcome.error } : {}),
        ...(outcome.notes ? { notes: outcome.notes } : {}),
      });
      return;
    }
    const mark =
      outcome.status === 'done'
        ? out.paint('green', prefix ? '·' : '✓')
        : out.paint('red', outcome.status);
    out.line(`${mark} ${prefix}${describeAction(outcome.action)}`);
    if (outcome.error)
      out.line(
        out.paint(
          'red',
          `    ${outcome.error.message}${outcome.error.hint ? `\n    hint: ${outcome.error.hint}` : ''}`,
        ),
      );
    for (const note of outcome.notes ?? []) out.line(out.paint('yellow', `    ${note}`));
  };
  const result = applyPlan(prepared, sys, onEvent, new Date(), {
    ...faultInjectionFromEnv(),
    ...(source.rollbackOf ? { rollbackOf: source.rollbackOf } : {}),
  });
  const summary = {
    event: 'result',
    ok: result.ok,
    dryRun: !!opts.dryRun,
    actions: plan.actions.length,
    entries: plan.entries.length,
    ...(result.generation !== undefined ? { generation: result.generation } : {}),
    released: plan.released,
    adopted: plan.adopted,
    recorded: result.recorded,
    ...(result.skipped.length > 0 ? { notRecorded: result.skipped } : {}),
  };
  for (const store of result.skipped) {
    if (!out.json)
      out.error(
        out.paint(
          'yellow',
          `keepsake: no generation written in ${store}/.keepsake: it is not owned by root alone`,
        ),
      );
  }
  if (!out.json && result.ok) {
    for (const line of describeReleased(plan.released)) out.line(line);
    for (const a of plan.adopted) {
      const what = `${count(a.files, 'file')}, ${count(a.bytes, 'byte')}`;
      out.line(
        a.how === 'backup'
          ? out.paint(
              'yellow',
              `set aside ${a.from} in ${a.to} (${what}): the store already held data there`,
            )
          : `adopted ${a.from} into ${a.to} (${what})`,
      );
    }
  }
  if (out.json) out.value(summary);
  else if (!result.ok)
    out.line(
      out.paint(
        'red',
        result.outcomes.some((o) => o.status === 'undo-failed')
          ? 'apply failed, and some steps could not be undone (marked undo-failed above)'
          : 'apply failed; the steps already taken were undone (see above)',
      ),
    );
  else if (plan.actions.length === 0)
    out.line(`nothing to do: all ${plan.entries.length} entries in place`);
  else
    out.line(
      out.paint(
        'green',
        `${prefix ? 'dry run: ' : ''}${count(plan.actions.length, 'action')} for ${count(plan.entries.length, 'entry', 'entries')}`,
      ),
    );
  if (!result.ok) return 1;
  // Home files come after the system's binds: a home file may lie inside a bound directory.
  if (source.model === undefined && plan.root === '/' && (model.homeFiles?.length ?? 0) > 0) {
    const { forwarded, runForUsers } = await import('./home-apply.js');
    const args = ['apply', '--files-only', ...forwarded({ ...opts, json: out.json })];
    return runForUsers(model.homeFiles ?? [], args, { prepare: !opts.dryRun, out });
  }
  return 0;
}
