import { type Command, Option } from '@commander-js/extra-typings';

/** The demo reads no configuration: it has none of the common options but these two. */
export const declareDemo = (parent: Command) =>
  parent
    .command('demo')
    .description('show keepsake at work in a throw-away namespace: apply, write, reboot, compare')
    .option('--keep', 'keep the temporary directory and print its path', false)
    .option('-q, --quiet', 'print nothing on success; problems still go to stderr', false)
    .addOption(
      new Option('--debug', 'on failure, also print the stack trace').env('KEEPSAKE_DEBUG'),
    );
