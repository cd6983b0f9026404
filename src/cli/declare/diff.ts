import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareDiff = (parent: Command) =>
  declared(
    parent,
    'diff',
    'show what lives on the ephemeral file systems, is not declared, and is lost at reboot',
  )
    .argument('[path...]')
    .option('-a, --all', 'also show what the ignore rules leave out, marked', false)
    .option('-d, --depth <n>', 'levels of directories to show below each path', '3')
    .option('--min-size <size>', 'leave out paths smaller than this (e.g. 64k, 10M)', '0')
    .option('--sort <key>', 'size (largest first), path or mtime (newest first)', 'size')
    .addHelpText(
      'after',
      `
Walks what the next boot wipes (memory-backed file systems, and paths the configuration
declares \`ephemeral\`), or each PATH, without crossing into other file systems, /proc, /sys,
/dev, /run, the stores, or anything declared, and rolls what it finds up by directory. A directory
that holds nothing declared is shown with the command that persists it. Entries whose bind
mount or link was replaced by data of its own are reported first as escaped state (exit 1).
Ignore rules: the built-in list, then \`ignore\` in the configuration (keepsake ignore PATTERN).`,
    );

export type DiffOptions = RunOptions<typeof declareDiff>;
