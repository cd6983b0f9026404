// Carrying out a home plan with the caller's own rights: as the user in `home apply`, and in a
// child process that has dropped to the user when root applies, so the kernel's permission
// checks stand between a planted link and anything the user may not write.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { HomeAction } from './types.js';

export interface HomeOutcome {
  action: HomeAction;
  status: 'done' | 'skipped' | 'failed';
  note?: string;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

function linkTo(path: string): string | undefined {
  try {
    return fs.readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** One action; `skipped` when a re-run finds it already done, so interrupted runs converge. */
function run(a: HomeAction): Omit<HomeOutcome, 'action'> {
  switch (a.kind) {
    case 'backup':
      if (fs.existsSync(a.to) || linkTo(a.to) !== undefined)
        throw new Error(`${a.to} appeared meanwhile; not overwriting it`);
      fs.renameSync(a.path, a.to);
      return { status: 'done' };
    case 'remove': {
      const st = fs.lstatSync(a.path, { throwIfNoEntry: false });
      if (st === undefined) return { status: 'skipped', note: 'already gone' };
      if (st.isDirectory()) fs.rmdirSync(a.path);
      else fs.unlinkSync(a.path);
      return { status: 'done' };
    }
    case 'unlink':
      // Only the link keepsake made: if it was changed meanwhile, it is left alone.
      if (linkTo(a.path) !== a.to) return { status: 'skipped', note: 'no longer keepsake’s link' };
      fs.unlinkSync(a.path);
      return { status: 'done' };
    case 'rmdir':
      try {
        fs.rmdirSync(a.path);
        return { status: 'done' };
      } catch (e) {
        if (code(e) === 'ENOTEMPTY' || code(e) === 'EEXIST' || code(e) === 'ENOENT')
          return {
            status: 'skipped',
            note: code(e) === 'ENOENT' ? 'already gone' : 'not empty: kept',
          };
        throw e;
      }
    case 'mkdir':
    case 'mkdir-store':
      if (fs.lstatSync(a.path, { throwIfNoEntry: false })?.isDirectory())
        return { status: 'skipped', note: 'exists' };
      fs.mkdirSync(a.path, { mode: 0o755, recursive: a.kind === 'mkdir-store' });
      return { status: 'done' };
    case 'link':
      if (linkTo(a.path) === a.to) return { status: 'skipped', note: 'in place' };
      if (a.replace || linkTo(a.path) !== undefined) {
        // Replaced in one rename, so the target never goes missing. The temporary name is
        // new (symlink fails on an existing one), so nothing of the user's is overwritten.
        const tmp = `${a.path}.keepsake-${randomBytes(6).toString('hex')}`;
        fs.symlinkSync(a.to, tmp);
        fs.renameSync(tmp, a.path);
      } else fs.symlinkSync(a.to, a.path);
      return { status: 'done' };
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
      onOutcome({ action, status: 'failed', note: (e as Error).message });
      return false;
    }
  }
  return true;
}
