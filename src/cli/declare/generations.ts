import type { Command } from '@commander-js/extra-typings';
import { type RunOptions, withCommon } from './common.js';

export const declareGenerations = (parent: Command) =>
  withCommon(
    parent.command('generations').description('list the generations recorded in the stores'),
  );

export const declareDiffGenerations = (parent: Command) =>
  withCommon(
    parent
      .command('diff-generations')
      .description('show what changed between two generations')
      .argument('<from>')
      .argument('<to>'),
  );

export const declareRollback = (parent: Command) =>
  withCommon(
    parent
      .command('rollback')
      .description("re-apply an older generation's setup (default: the one before the live one)")
      .argument('[generation]'),
  ).option('-n, --dry-run', 'show what would be done, change nothing', false);

export type GenerationsOptions = RunOptions<typeof declareGenerations>;
export type DiffGenerationsOptions = RunOptions<typeof declareDiffGenerations>;
export type RollbackOptions = RunOptions<typeof declareRollback>;
