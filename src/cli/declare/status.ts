import type { Command } from '@commander-js/extra-typings';
import { type RunOptions, withCommon } from './common.js';

export const declareStatus = (parent: Command) =>
  withCommon(
    parent
      .command('status')
      .description('compare the declared state with the live system (exit 1 on drift)'),
  );

export type StatusOptions = RunOptions<typeof declareStatus>;
