import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareIgnore = (parent: Command) =>
  declared(
    parent,
    'ignore',
    'add a pattern of paths keepsake diff leaves out to the configuration (gitignore-style)',
  )
    .argument('<pattern>')
    .option(
      '-s, --store <location>',
      "the storage location to write it under (default: the configuration's only one)",
    )
    .option('-u, --user <name>', "a pattern relative to this user's home")
    .option('-n, --dry-run', 'show the line that would be added', false);

export type IgnoreOptions = RunOptions<typeof declareIgnore>;
