// `keepsake apply` when nothing changed since an apply that planned nothing: the launcher tries
// this small file (dist/bundle/settled.cjs) before the boot path, and it answers only when the
// settled record holds (src/apply/settled.ts). Then the report is the one that apply gave,
// built by the same code (apply-result.ts), and the parsers, the planner and the executor are
// never loaded. Anything else (no record, a change, a lock held, an option the record does
// not cover, any error) is left to the apply that plans, which says what there is to say.

import { phaseClock, phaseDone } from '../apply/phases.js';
import { resolveRoot } from '../apply/root.js';
import { checkSettled, type PlanOptions, SETTLED_FILE, type Settled } from '../apply/settled.js';
import { readRegularConfigText } from '../config/load-text.js';
import { hostPath } from '../core/paths.js';
import { anyTestHook, readHooks, setHooks } from '../hooks.js';
import { recordLastApply } from '../metrics/last-apply.js';
import { loadBinding } from '../system/binding.js';
import { acquireLock } from '../system/lock.js';
import { readMountInfoAhead } from '../system/mountinfo.js';
import { lstatOrNull } from '../system/safe-fs.js';
import { writeStdout } from '../system/stdout.js';
import { applyResultValue, nothingToDo } from './apply-result.js';
import { plainApplyArgs } from './fast-apply.js';
import { recordLineOf } from './record-line.js';
import { stdoutFailed } from './stdout-failure.js';

export { useLoadedAddon } from '../system/binding.js';

/** The exit status of a settled apply, or undefined when the apply must plan. */
export function runIfSettled(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  const startedMs = Date.now();
  const opts = plainApplyArgs(argv, env);
  // A dry run and a verbose one report more than a settled apply knows.
  if (!opts || opts.dryRun || opts.verbose || process.geteuid?.() !== 0) return undefined;
  const hooks = readHooks(env);
  if (anyTestHook(hooks)) return undefined;
  setHooks(hooks);
  const options = { adopt: opts.adopt === true, keepGoing: opts.keepGoing === true };
  const settled = settledUnderLock(opts.root, opts.config, options, startedMs);
  if (!settled) return undefined;
  const text = opts.json
    ? recordLineOf(
        'apply.result',
        settled.resultVersion,
        applyResultValue({
          ok: true,
          dryRun: false,
          actions: 0,
          entries: settled.entries,
          generation: settled.generation,
          released: [],
          adopted: [],
          recorded: [],
          ...(options.keepGoing ? { skipped: [] } : {}),
        }),
      )
    : opts.quiet
      ? undefined
      : nothingToDo(settled.entries);
  if (text !== undefined) writeStdout(`${text}\n`, stdoutFailed);
  return 0;
}

/** The settled record's answer, checked under apply's lock; undefined on any doubt. */
function settledUnderLock(
  rootOption: string,
  configFile: string,
  options: PlanOptions,
  startedMs: number,
): Settled | undefined {
  try {
    const root = resolveRoot(rootOption);
    // No record (every boot): nothing more to check, and no lock to take twice.
    if (!lstatOrNull(hostPath(root, SETTLED_FILE))) return undefined;
    const { binding } = loadBinding();
    if (!binding) return undefined;
    // Under the lock, as every apply: what is checked stays true while no keepsake changes it.
    const lock = acquireLock(root, binding, 'apply');
    try {
      // A notice about the lock is the planning apply's to give.
      if (lock.notice) return undefined;
      const started = phaseClock();
      // The mount table, read by a thread of the addon's while the record, the configuration
      // and the accounts are read and hashed. Invariant: under the lock, and nothing between
      // this and the one comparison that takes it mounts or unmounts (all of it only reads).
      const mountTable = readMountInfoAhead();
      // Only a configuration in a regular file: one that can be read only once (a pipe) is
      // left whole for the apply that plans.
      const settled = checkSettled(root, configFile, readRegularConfigText, options, mountTable);
      if (!settled) return undefined;
      // Every real apply leaves its outcome (metrics/after-apply.ts); one that cannot, warns,
      // and that warning is the planning apply's to give.
      const finished = Date.now();
      recordLastApply(root, {
        ok: true,
        finishedAt: new Date(finished).toISOString(),
        durationSeconds: (finished - startedMs) / 1000,
      });
      // Only a settled apply reports its phases; one that plans counts this in its start.
      phaseDone('start', started);
      phaseDone('settled');
      return settled;
    } finally {
      lock.release();
    }
  } catch {
    return undefined;
  }
}
