// A command's plain arguments read without the command-line framework, for the commands
// whose every run pays for each module loaded (apply at boot; diff, which a timer or a user
// runs to see what a reboot would lose). Only what the reader knows exactly is read here:
// help, a typo, a bundled short option, `--`, an empty or dash-led value, anything else is
// left to the full command line in main.ts, so that both paths give the same options for the
// same arguments and every message about bad usage comes from one place.

import type { CommonOptions } from './declare/common.js';
import { DEFAULT_CONFIG } from './defaults.js';
import type { Output } from './output.js';

/** A command's own options: flags (set to true) and options taking a value, by spelling. */
export interface PlainCommand<Flag extends string, Value extends string> {
  name: string;
  flags: Readonly<Record<string, Flag>>;
  values: Readonly<Record<string, Value>>;
  /** Its positional arguments (`[path...]`): any argument that is not an option. */
  positional: boolean;
}

/** The common options (declare/common.ts), as every command that reads the configuration has. */
const COMMON_FLAGS = {
  '--json': 'json',
  '-v': 'verbose',
  '--verbose': 'verbose',
  '-q': 'quiet',
  '--quiet': 'quiet',
  '--debug': 'debug',
} as const;
const COMMON_VALUES = {
  '-c': 'config',
  '--config': 'config',
  '-r': 'root',
  '--root': 'root',
} as const;

type Common = Omit<CommonOptions, 'debug'> & { debug?: true };

/** `table[key]` where the table itself has it: never what an object inherits (`toString`,
 *  `constructor`), which a path or a typo may be spelt as. */
function own<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * The options of `keepsake NAME ARGS` exactly as the full command line would read them, given
 * the command's own defaults, or undefined when the arguments are anything but plain.
 */
export function plainArgs<Flag extends string, Value extends string, Own extends object>(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  command: PlainCommand<Flag, Value>,
  defaults: Own,
): (Common & Own) | undefined {
  if (argv[2] !== command.name) return undefined;
  const opts: Record<string, unknown> = {
    config: DEFAULT_CONFIG,
    root: '/',
    json: false,
    verbose: false,
    quiet: false,
    color: true,
    ...defaults,
    rootGiven: false,
    args: [],
  };
  const args: string[] = [];
  let config: string | undefined;
  for (let i = 3; i < argv.length; i++) {
    const arg = argv[i] as string;
    const flag: string | undefined = own(COMMON_FLAGS, arg) ?? own(command.flags, arg);
    if (flag !== undefined) {
      opts[flag] = true;
      continue;
    }
    if (arg === '--no-color') {
      opts.color = false;
      continue;
    }
    if (command.positional && arg !== '' && !arg.startsWith('-')) {
      args.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key: string | undefined = own(COMMON_VALUES, name) ?? own(command.values, name);
    if (key === undefined) return undefined;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    // An empty or dash-led value is a corner the full command line has its own rules for.
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (key === 'config') config = value;
    else if (key === 'root') {
      opts.root = value;
      opts.rootGiven = true;
    } else opts[key] = value;
  }
  opts.args = args;
  // As the full command line: the option given wins over the environment, which wins over
  // the default; a boolean option named in the environment is on, whatever its value.
  if (config !== undefined) opts.config = config;
  else if ('KEEPSAKE_CONFIG' in env) {
    const fromEnv = env.KEEPSAKE_CONFIG;
    if (!fromEnv) return undefined;
    opts.config = fromEnv;
  }
  if ('KEEPSAKE_DEBUG' in env) opts.debug = true;
  return opts as Common & Own;
}

/**
 * Runs a command's work (`load`) with options read here: its report written with write(2),
 * as the full command line's would be, and a failure printed by the same code as there.
 */
export async function runPlain<O extends Common>(
  opts: O,
  load: () => Promise<{ run(opts: O, out: Output): Promise<number> }>,
): Promise<number> {
  const [{ createOutput }, { run }] = await Promise.all([import('./output.js'), load()]);
  const out = createOutput({
    json: opts.json,
    quiet: opts.quiet,
    direct: true,
    ...(opts.color ? {} : { color: false }),
  });
  try {
    return await run(opts, out);
  } catch (e) {
    // Only a failing run pays for loading the reporting.
    const { report } = await import('./report.js');
    return report(e, out, opts.debug === true);
  }
}
