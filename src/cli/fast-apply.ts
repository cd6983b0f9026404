// `keepsake apply` with plain arguments, as keepsake.service runs it at boot, without the
// command-line framework (fast-args.ts): at boot every module loaded is paid for in the time
// to local-fs.target.

import type { ApplyOptions } from './declare/apply.js';
import { plainArgs } from './fast-args.js';

const APPLY = {
  name: 'apply',
  flags: {
    '--keep-going': 'keepGoing',
    '--adopt': 'adopt',
    '-n': 'dryRun',
    '--dry-run': 'dryRun',
  },
  values: {},
  positional: false,
} as const;

/**
 * The options of `keepsake apply ARGS` exactly as the full command line would read them, or
 * undefined when the arguments are anything but plain options of apply.
 */
export function plainApplyArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ApplyOptions | undefined {
  return plainArgs(argv, env, APPLY, { dryRun: false, adopt: false, keepGoing: false });
}

/** Runs apply; a failure is printed by the same code as the full command line's. */
export async function runPlainApply(opts: ApplyOptions): Promise<number> {
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
