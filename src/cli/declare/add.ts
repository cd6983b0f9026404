import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareAdd = (parent: Command) =>
  declared(
    parent,
    'add',
    'persist a live path: declare it, move its data into the store, bind or link it back',
  )
    .argument('<path>')
    .option(
      '-s, --store <location>',
      "the storage location (default: the configuration's only one)",
    )
    .option('-u, --user <name>', "declare it in this user's home, relative to it")
    .option('-n, --dry-run', 'show the steps and the lines added to the configuration', false);

export type AddOptions = RunOptions<typeof declareAdd>;
