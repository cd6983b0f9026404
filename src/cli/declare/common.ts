// The command line's declarations: each command's name, arguments and options, typed from the
// declaration itself (@commander-js/extra-typings), so that what a command's code reads is
// what its declaration gives. They live apart from the commands' work: building the whole
// command line (for --help, the manual, the completions) loads only these small modules and
// commander, and a command's work is loaded when it runs (see ../main.ts).

import { type Command, Option } from '@commander-js/extra-typings';
import { DEFAULT_CONFIG } from '../defaults.js';

/**
 * The options of every command that reads the configuration, declared once. A command's own
 * options come after them: the help, the manual and the completions list them in that order.
 */
export function withCommon<Args extends unknown[]>(cmd: Command<Args>) {
  return cmd
    .addOption(
      new Option('-c, --config <file>', 'configuration file (.yaml, .yml, .toml or .json)')
        .env('KEEPSAKE_CONFIG')
        .default(DEFAULT_CONFIG),
    )
    .option('-r, --root <dir>', 'where the root file system is mounted (e.g. /sysroot)', '/')
    .option('--json', 'print JSON records for scripts, one a line (see docs/json.md)', false)
    .option(
      '-q, --quiet',
      'print nothing on success but what was asked for; problems still go to stderr',
      false,
    )
    .option('-v, --verbose', 'say more', false)
    .option('--no-color', 'never colour the output')
    .addOption(
      new Option('--debug', 'on failure, also print the stack trace').env('KEEPSAKE_DEBUG'),
    );
}

/** What the command line adds to the declared options when it runs a command. */
export interface Given {
  /** The positional arguments, a variadic one spread. */
  args: string[];
  /** `--root` was given on the command line or by the environment, not left at its default. */
  rootGiven: boolean;
}

/**
 * The options a command's `run` gets: those its declaration infers, and what the command line
 * adds. `D` is the declaration, a function that adds the command to its parent.
 */
export type RunOptions<D extends (parent: Command) => { opts(): object }> = ReturnType<
  ReturnType<D>['opts']
> &
  Given;

/**
 * The common options alone: `config`, `root`, `json`, `quiet` (nothing on stdout but what
 * the command was asked to produce; see docs/cli.md), `verbose`, `color`, `debug` (print the
 * stack trace of a failure; KEEPSAKE_DEBUG=1 too), and what the command line adds.
 */
export type CommonOptions = ReturnType<ReturnType<typeof withCommon>['opts']> & Given;

/** A command that reads the configuration: its name, what it does, and the common options. */
export const declared = (parent: Command, name: string, description: string) =>
  withCommon(parent.command(name).description(description));
