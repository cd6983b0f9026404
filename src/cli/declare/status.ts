import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareStatus = (parent: Command) =>
  declared(parent, 'status', 'compare the declared state with the live system (exit 1 on drift)');

export type StatusOptions = RunOptions<typeof declareStatus>;
