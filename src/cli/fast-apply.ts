// `keepsake apply` with plain arguments, as keepsake.service runs it at boot, without the
// command-line framework (fast-args.ts): at boot every module loaded is paid for in the time
// to local-fs.target.

import type { ApplyOptions } from './declare/apply.js';
import { plainArgs, runPlain } from './fast-args.js';

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
export function runPlainApply(opts: ApplyOptions): Promise<number> {
  return runPlain(opts, () => import('./commands/apply.js'));
}
