import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareGenerations = (parent: Command) =>
  declared(parent, 'generations', 'list the generations recorded in the stores');

export const declareDiffGenerations = (parent: Command) =>
  declared(parent, 'diff-generations', 'show what changed between two generations')
    .argument('<from>')
    .argument('<to>');

export const declareRollback = (parent: Command) =>
  declared(
    parent,
    'rollback',
    "re-apply an older generation's setup (default: the one before the live one)",
  )
    .argument('[generation]')
    .option('-n, --dry-run', 'show what would be done, change nothing', false);

export type GenerationsOptions = RunOptions<typeof declareGenerations>;
export type DiffGenerationsOptions = RunOptions<typeof declareDiffGenerations>;
export type RollbackOptions = RunOptions<typeof declareRollback>;
