import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declarePrune = (parent: Command) =>
  declared(
    parent,
    'prune',
    'delete orphaned store data (asks first, or --yes); never follows links or crosses mounts',
  )
    .argument('[path...]')
    .option('-y, --yes', 'delete without asking', false);

export type PruneOptions = RunOptions<typeof declarePrune>;
