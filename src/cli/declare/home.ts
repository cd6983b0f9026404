import type { Command } from '@commander-js/extra-typings';
import { type RunOptions, withCommon } from './common.js';

/** The group: `keepsake home` runs nothing by itself. */
export const declareHome = (parent: Command) =>
  parent
    .command('home')
    .description(
      "the home files of users.<name>.files, linked from generations kept in the user's home store",
    );

/** Every home command works on one user's home, or (as root) on every user's. */
const homeCommand = <Args extends unknown[]>(cmd: Command<Args>) =>
  withCommon(cmd).option(
    '-u, --user <name>',
    'as root: only this user (default: every user with home files)',
  );

/** The home commands that link files: apply and rollback take the same options. */
const applies = <Args extends unknown[]>(cmd: Command<Args>) =>
  homeCommand(cmd)
    .option('-n, --dry-run', 'show what would be done, change nothing', false)
    .option('-b, --backup <ext>', 'rename files in the way to <name>.<ext> instead of refusing')
    .option('--files-only', 'home files only; persistence entries are left to root’s binds', false);

export const declareHomeApply = (home: Command) =>
  applies(
    home
      .command('apply')
      .description(
        'link the declared home files (run by a user: also link the user’s persistence entries)',
      ),
  );

export const declareHomeGenerations = (home: Command) =>
  homeCommand(home.command('generations').description('list the home generations'));

export const declareHomeRollback = (home: Command) =>
  applies(
    home
      .command('rollback')
      .description('link an older home generation again (default: the one before the current one)')
      .argument('[generation]'),
  );

export const declareHomeExpire = (home: Command) =>
  homeCommand(
    home
      .command('expire')
      .description(
        'delete old home generations and the content only they use (never the current one)',
      ),
  )
    .option('--keep <n>', 'keep the newest N generations')
    .option('--older-than <days>', 'delete generations older than this many days');

export type HomeApplyOptions = RunOptions<typeof declareHomeApply>;
export type HomeGenerationsOptions = RunOptions<typeof declareHomeGenerations>;
export type HomeRollbackOptions = RunOptions<typeof declareHomeRollback>;
export type HomeExpireOptions = RunOptions<typeof declareHomeExpire>;
