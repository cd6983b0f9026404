import type { Command } from '@commander-js/extra-typings';
import { type RunOptions, withCommon } from './common.js';

export const declareOrphans = (parent: Command) =>
  withCommon(
    parent
      .command('orphans')
      .description('list store data that no entry of the configuration refers to, with sizes'),
  );

export type OrphansOptions = RunOptions<typeof declareOrphans>;
