// `keepsake apply` with plain arguments, as keepsake.service runs it at boot, without the
// command-line framework: at boot every module loaded is paid for in the time to
// local-fs.target. Anything this reader does not know exactly (help, a typo, an option it
// has no rule for) is left to the full command line in main.ts, so that both paths give the
// same options for the same arguments and every message about bad usage comes from one place.

import type { ApplyOptions } from './declare/apply.js';
import { DEFAULT_CONFIG } from './defaults.js';

type Parsed = ApplyOptions;

const FLAGS: Record<
  string,
  'keepGoing' | 'adopt' | 'dryRun' | 'json' | 'verbose' | 'quiet' | 'debug'
> = {
  '--keep-going': 'keepGoing',
  '--adopt': 'adopt',
  '-n': 'dryRun',
  '--dry-run': 'dryRun',
  '--json': 'json',
  '-v': 'verbose',
  '--verbose': 'verbose',
  '-q': 'quiet',
  '--quiet': 'quiet',
  '--debug': 'debug',
};
const VALUES: Record<string, 'config' | 'root'> = {
  '-c': 'config',
  '--config': 'config',
  '-r': 'root',
  '--root': 'root',
};

/**
 * The options of `keepsake apply ARGS` exactly as the full command line would read them, or
 * undefined when the arguments are anything but plain options of apply.
 */
export function plainApplyArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Parsed | undefined {
  if (argv[2] !== 'apply') return undefined;
  const opts: Parsed = {
    config: DEFAULT_CONFIG,
    root: '/',
    json: false,
    verbose: false,
    quiet: false,
    color: true,
    dryRun: false,
    adopt: false,
    keepGoing: false,
    rootGiven: false,
    args: [],
  };
  let config: string | undefined;
  for (let i = 3; i < argv.length; i++) {
    const arg = argv[i] as string;
    const flag = FLAGS[arg];
    if (flag !== undefined) {
      opts[flag] = true;
      continue;
    }
    if (arg === '--no-color') {
      opts.color = false;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUES[name];
    if (key === undefined) return undefined;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    // An empty or dash-led value is a corner the full command line has its own rules for.
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (key === 'config') config = value;
    else {
      opts.root = value;
      opts.rootGiven = true;
    }
  }
  // As the full command line: the option given wins over the environment, which wins over
  // the default; a boolean option named in the environment is on, whatever its value.
  if (config !== undefined) opts.config = config;
  else if ('KEEPSAKE_CONFIG' in env) {
    const fromEnv = env.KEEPSAKE_CONFIG;
    if (!fromEnv) return undefined;
    opts.config = fromEnv;
  }
  if ('KEEPSAKE_DEBUG' in env) opts.debug = true;
  return opts;
}

/** Runs apply; a failure is printed by the same code as the full command line's. */
export async function runPlainApply(opts: Parsed): Promise<number> {
  const [{ createOutput }, { run }] = await Promise.all([
    import('./output.js'),
    import('./commands/apply.js'),
  ]);
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
