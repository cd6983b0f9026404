import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { expireHomeGenerations } from '../../home/record.js';
import { openHomeSession, withHomeStoreLock } from '../../home/session.js';
import type { HomeExpireOptions } from '../declare/home.js';
import type { Output } from '../output.js';
import { runForUsers } from './home-apply.js';

/** Delete old home generations and the content only they used; the current one always stays. */
export async function run(opts: HomeExpireOptions, out: Output): Promise<number> {
  const keep = opts.keep === undefined ? undefined : Number(opts.keep);
  const days = opts.olderThan === undefined ? undefined : Number(opts.olderThan);
  if (
    (keep === undefined && days === undefined) ||
    [keep, days].some((n) => n !== undefined && !(n >= 0))
  ) {
    throw new UsageError(
      'say which generations to delete',
      'e.g. --keep 5 or --older-than 30 (days)',
    );
  }
  const session = openHomeSession(opts);
  if (session.mode === 'root') {
    const args = [
      ...(keep !== undefined ? ['--keep', String(keep)] : []),
      ...(days !== undefined ? ['--older-than', String(days)] : []),
    ];
    return runForUsers(
      session.sets,
      [
        'expire',
        '--config',
        resolve(opts.config),
        ...args,
        ...(opts.json ? ['--json'] : []),
        ...(opts.quiet ? ['--quiet'] : []),
      ],
      { prepare: false, out },
    );
  }
  const deleted = withHomeStoreLock(session.set, () =>
    expireHomeGenerations(session.set.state.path, {
      ...(keep !== undefined ? { keep } : {}),
      ...(days !== undefined ? { olderThanDays: days } : {}),
      now: new Date(),
    }),
  );
  if (out.json) out.record('home.expire', { user: session.set.user.user, deleted });
  else
    out.line(
      deleted.length === 0
        ? 'no home generation to delete'
        : `deleted home generations ${deleted.join(', ')}`,
    );
  return 0;
}
