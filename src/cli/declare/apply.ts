import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareApply = (parent: Command) =>
  declared(parent, 'apply', 'make the live system match the configuration')
    .option('-n, --dry-run', 'show what would be done, change nothing', false)
    .option('--adopt', 'move data found at targets into the store instead of refusing', false)
    .option(
      '--keep-going',
      'put in place every entry whose own checks pass; skip and name the others, exit 1',
      false,
    );

export type ApplyOptions = RunOptions<typeof declareApply>;
