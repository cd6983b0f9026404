import { UsageError } from '../../errors.js';
import { listHomeGenerations } from '../../home/record.js';
import { openHomeSession } from '../../home/session.js';
import type { HomeRollbackOptions } from '../declare/home.js';
import type { Output } from '../output.js';
import { applyOwnHome, forwarded, runForUsers } from './home-apply.js';

/**
 * Link an older home generation again (by default the one before the newest complete one).
 * The configuration is unchanged: the next `home apply` returns to it.
 */
export async function run(opts: HomeRollbackOptions, out: Output): Promise<number> {
  const session = openHomeSession(opts);
  if (session.mode === 'root') {
    return runForUsers(
      session.sets,
      ['rollback', ...opts.args, '--files-only', ...forwarded(opts)],
      {
        prepare: !opts.dryRun,
        out,
      },
    );
  }
  const all = listHomeGenerations(session.set.state.path).filter((g) => g.state === 'complete');
  const current = all.at(-1)?.number;
  const wanted = opts.args[0] !== undefined ? Number(opts.args[0]) : all.at(-2)?.number;
  const gen = all.find((g) => g.number === wanted);
  if (gen === undefined || gen.number === current) {
    throw new UsageError(
      opts.args[0] === undefined
        ? 'no earlier home generation to roll back to'
        : `home generation ${opts.args[0]} ${gen === undefined ? 'does not exist' : 'is the current one'}`,
      'see keepsake home generations',
    );
  }
  if (!out.json)
    out.line(
      `rolling back ${session.set.user.user}'s home files to generation ${gen.number} (applied ${gen.appliedAt})`,
    );
  return applyOwnHome(session, opts, out, gen);
}
