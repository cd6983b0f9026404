import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareOrphans = (parent: Command) =>
  declared(
    parent,
    'orphans',
    'list store data that no entry of the configuration refers to, with sizes',
  );

export type OrphansOptions = RunOptions<typeof declareOrphans>;
