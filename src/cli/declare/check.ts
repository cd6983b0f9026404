import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareCheck = (parent: Command) =>
  declared(
    parent,
    'check',
    'validate the configuration file; with --root, also run the checks of plan on that root',
  ).addHelpText(
    'after',
    `
Without --root, check reads only the file: syntax, options, values, users and paths. It looks
at no system, so a valid file may still be refused by apply (a store that is not mounted, data
at a target, a link in a path). With --root DIR, check also observes DIR as plan does and
reports every problem apply would refuse on, with exit 1 (exit 2 for an invalid file).`,
  );

export type CheckOptions = RunOptions<typeof declareCheck>;
