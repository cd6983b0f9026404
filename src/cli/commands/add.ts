import { prepareAdd } from '../../apply/add.js';
import { faultInjection } from '../../apply/execute.js';
import { applyPlan, resolveRoot } from '../../apply/pipeline.js';
import { addEntryToConfigFile } from '../../config/edit.js';
import { loadConfig } from '../../config/index.js';
import { RefusedError, UsageError } from '../../errors.js';
import { loadBinding } from '../../system/binding.js';
import { acquireLock } from '../../system/lock.js';
import { openLiveSystem } from '../../system/system.js';
import type { AddOptions } from '../declare/add.js';
import { printAddDryRun, printAdded, printAddStep } from '../format-add.js';
import type { Output } from '../output.js';
import { actionRecord } from '../records.js';

export async function run(opts: AddOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const path = opts.args[0];
  if (!path) throw new UsageError('keepsake add needs a path');
  const lock = opts.dryRun ? undefined : acquireLock(root, loadBinding().binding, 'add');
  if (lock?.notice) out.error(out.paint('yellow', `keepsake: ${lock.notice}`));
  try {
    const current = loadConfig(opts.config, { root, verbose: opts.verbose });
    const added = prepareAdd(
      {
        configFile: opts.config,
        root,
        path,
        ...(opts.store ? { store: opts.store } : {}),
        ...(opts.user ? { user: opts.user } : {}),
      },
      current,
    );
    const { plan, request } = added;
    if (plan.problems.length > 0) throw new RefusedError(plan.problems);
    const inserted = newLines(added.before, added.after);
    const list = request.kind === 'directory' ? 'directories' : 'files';
    const where = request.classic
      ? `users.${request.user}.persistence."${request.location}".${list}`
      : `persistence."${request.location}"${request.user ? `.users.${request.user}` : ''}.${list}`;
    const at = { path, configFile: opts.config, where };
    if (opts.dryRun) {
      if (out.json) {
        out.record('add.plan', { dryRun: true, request, configLines: inserted, plan });
        return 0;
      }
      printAddDryRun(out, at, inserted, plan.actions);
      return 0;
    }
    // Declared first: if anything below is interrupted, `add` again picks up from here.
    if (added.after !== added.before) {
      const written = addEntryToConfigFile(opts.config, request);
      if (written.after !== added.after) {
        throw new UsageError(
          `${opts.config} changed while keepsake was adding to it`,
          'run keepsake add again',
        );
      }
    }
    const { sys, notice } = openLiveSystem();
    if (notice && !out.json) out.error(out.paint('yellow', `keepsake: ${notice}`));
    const result = applyPlan(
      added,
      sys,
      ({ outcome }) => {
        if (out.json) out.record('add.event', actionRecord(outcome));
        else printAddStep(out, outcome);
      },
      new Date(),
      faultInjection(),
    );
    const moved = plan.adopted[0];
    if (out.json) {
      out.record('add.result', {
        event: 'result',
        ok: result.ok,
        request,
        configLines: inserted,
        adopted: plan.adopted,
        generation: result.generation,
      });
    } else printAdded(out, at, result.ok, moved);
    return result.ok ? 0 : 1;
  } finally {
    lock?.release();
  }
}

/** The lines the edit inserted, for showing. */
function newLines(before: string, after: string): string[] {
  const old = new Set(before.split('\n'));
  return after.split('\n').filter((l) => !old.has(l));
}
