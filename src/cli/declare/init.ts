import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareInit = (parent: Command) =>
  declared(
    parent,
    'init',
    'print a starter configuration for the machine at --root, from presets of what services keep',
  )
    .option('-s, --store <path>', 'the storage location to propose', '/persist')
    .option(
      '-o, --output <file>',
      'write it to FILE instead of standard output (never overwrites)',
    );

export type InitOptions = RunOptions<typeof declareInit>;
