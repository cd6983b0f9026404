import { resolve } from 'node:path';
import { exitCodeFor } from '../../errors.js';
import { applyHome, type HomeApplyResult } from '../../home/apply.js';
import { prepareHomeState, runHomeAsUser } from '../../home/as-user.js';
import { persistEntriesOf } from '../../home/select.js';
import {
  type HomeSession,
  openHomeSession,
  readyHomeStore,
  withHomeStoreLock,
} from '../../home/session.js';
import type { HomeGeneration } from '../../home/types.js';
import { hooks } from '../../hooks.js';
import type { HomeFileSet } from '../../model/types.js';
import type { HomeApplyOptions } from '../declare/home.js';
import { printHomeAction, printHomeApplied } from '../format-home.js';
import type { Output } from '../output.js';

/** The options a root process hands on to the process it runs as the user. */
export function forwarded(
  opts: Pick<HomeApplyOptions, 'config' | 'dryRun' | 'json' | 'quiet' | 'verbose' | 'color'> & {
    backup?: string;
  },
): string[] {
  return [
    '--config',
    resolve(opts.config),
    ...(opts.backup !== undefined ? ['--backup', opts.backup] : []),
    ...(opts.dryRun ? ['--dry-run'] : []),
    ...(opts.json ? ['--json'] : []),
    ...(opts.quiet ? ['--quiet'] : []),
    ...(opts.verbose ? ['--verbose'] : []),
    ...(opts.color ? [] : ['--no-color']),
  ];
}

/**
 * As root: each user's home, by a process running as that user (persistence stays with root).
 * One user's failure is reported and does not stop the others.
 */
export function runForUsers(
  sets: readonly HomeFileSet[],
  args: string[],
  how: { prepare: boolean; out: Output },
): number {
  let code = 0;
  for (const set of sets) {
    try {
      if (how.prepare) prepareHomeState(set);
      code = Math.max(code, runHomeAsUser(set, args));
    } catch (e) {
      how.out.failure(e);
      code = Math.max(code, exitCodeFor(e));
    }
  }
  return code;
}

export function report(
  result: HomeApplyResult,
  user: string,
  dryRun: boolean,
  out: Output,
): number {
  // Exit 1 even when refused: the home is unchanged, but its store was readied and the
  // content staged in it before the checks, so "nothing changed" (exit 2) would not be true.
  const refused = (result.plan?.problems.length ?? 0) + result.contentProblems.length > 0;
  if (out.json) {
    out.record('home.apply.result', { event: 'result', user, dryRun, ...result });
    return result.ok ? 0 : 1;
  }
  printHomeApplied(out, result, { user, dryRun, refused });
  if (!result.ok) return 1;
  return result.onChange.some((c) => c.status !== 0) ? 1 : 0;
}

/** As the user: apply the configuration (or an older generation) to the user's own home. */
export function applyOwnHome(
  session: Extract<HomeSession, { mode: 'user' }>,
  opts: HomeApplyOptions,
  out: Output,
  rollbackTo?: HomeGeneration,
): number {
  const { set } = session;
  if (!opts.dryRun) readyHomeStore(set);
  const apply = () => applyLocked(session, opts, out, rollbackTo);
  return opts.dryRun ? apply() : withHomeStoreLock(set, apply);
}

function applyLocked(
  { set, model }: Extract<HomeSession, { mode: 'user' }>,
  opts: HomeApplyOptions,
  out: Output,
  rollbackTo: HomeGeneration | undefined,
): number {
  const stop = hooks().homeStopAfter; // hidden, for tests
  const result = applyHome({
    set,
    persist: opts.filesOnly ? 'by-root' : persistEntriesOf(model, set.user.uid),
    ...(opts.backup !== undefined ? { backupExtension: opts.backup } : {}),
    dryRun: opts.dryRun === true,
    now: new Date(),
    ...(rollbackTo !== undefined ? { rollbackTo } : {}),
    ...(stop !== undefined ? { stopAfter: Number(stop) } : {}),
    onOutcome: (o) => {
      if (out.json) out.record('home.apply.event', { event: 'action', ...o });
      else printHomeAction(out, o);
    },
  });
  return report(result, set.user.user, opts.dryRun === true, out);
}

export async function run(opts: HomeApplyOptions, out: Output): Promise<number> {
  const session = openHomeSession(opts);
  if (session.mode === 'root') {
    return runForUsers(session.sets, ['apply', '--files-only', ...forwarded(opts)], {
      prepare: !opts.dryRun,
      out,
    });
  }
  return applyOwnHome(session, opts, out);
}
