import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareRelease = (parent: Command) =>
  declared(
    parent,
    'release',
    "take down this boot's bind mounts, deepest first (at shutdown; the data stays in the stores)",
  ).option('-n, --dry-run', 'show what would be unmounted, change nothing', false);

export type ReleaseOptions = RunOptions<typeof declareRelease>;
