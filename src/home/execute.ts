// Carrying out a home plan with the caller's own rights: as the user in `home apply`, and in a
// child process that has dropped to the user when root applies, so the kernel's permission
// checks stand between a planted link and anything the user may not write.

import { describeErrno } from '../core/errno.js';
import {
  makeDir,
  moveToFreeName,
  placeLink,
  removeEmptyDir,
  removeEntry,
  removeLinkTo,
} from '../system/home-fs.js';
import type { HomeAction } from './types.js';

export interface HomeOutcome {
  action: HomeAction;
  status: 'done' | 'skipped' | 'failed';
  note?: string;
}

/** One action; `skipped` when a re-run finds it already done, so interrupted runs converge. */
function run(a: HomeAction): Omit<HomeOutcome, 'action'> {
  switch (a.kind) {
    case 'backup':
      moveToFreeName(a.path, a.to);
      return { status: 'done' };
    case 'remove':
      return removeEntry(a.path) ? { status: 'done' } : { status: 'skipped', note: 'already gone' };
    case 'unlink':
      // Only the link keepsake made: if it was changed meanwhile, it is left alone.
      return removeLinkTo(a.path, a.to)
        ? { status: 'done' }
        : { status: 'skipped', note: 'no longer keepsake’s link' };
    case 'rmdir': {
      const done = removeEmptyDir(a.path);
      if (done === 'done') return { status: 'done' };
      return { status: 'skipped', note: done === 'gone' ? 'already gone' : 'not empty: kept' };
    }
    case 'mkdir':
    case 'mkdir-store':
      return makeDir(a.path, a.kind === 'mkdir-store')
        ? { status: 'done' }
        : { status: 'skipped', note: 'exists' };
    case 'link':
      return placeLink(a.path, a.to, a.replace)
        ? { status: 'done' }
        : { status: 'skipped', note: 'in place' };
  }
}

/**
 * Carry out the actions in order and stop at the first failure. Nothing is undone: every step
 * is safe to repeat, and the generation stays `pending`, so the next apply finishes the job.
 */
export function executeHome(
  actions: readonly HomeAction[],
  onOutcome: (o: HomeOutcome) => void,
  failAfter?: number,
): boolean {
  for (const [i, action] of actions.entries()) {
    if (failAfter !== undefined && i >= failAfter) {
      onOutcome({ action, status: 'failed', note: 'stopped (KEEPSAKE_TEST_HOME_STOP_AFTER)' });
      return false;
    }
    try {
      onOutcome({ action, ...run(action) });
    } catch (e) {
      // The step's line names the path; Node's text would name a temporary one instead.
      const code = (e as NodeJS.ErrnoException).code;
      const note =
        typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)
          ? `${describeErrno(code)} (${code})`
          : (e as Error).message;
      onOutcome({ action, status: 'failed', note });
      return false;
    }
  }
  return true;
}
