// `keepsake diff` with plain arguments, without the command-line framework (fast-args.ts):
// most of a small diff's time was loading the full command line. The build makes this its own
// CommonJS file (dist/bundle/diff.cjs), which the launcher tries first for `keepsake diff`.

import { readHooks, setHooks } from '../hooks.js';
import type { DiffOptions } from './declare/diff.js';
import { plainArgs, runPlain } from './fast-args.js';

const DIFF = {
  name: 'diff',
  flags: { '-a': 'all', '--all': 'all' },
  values: { '-d': 'depth', '--depth': 'depth', '--min-size': 'minSize', '--sort': 'sort' },
  positional: true,
} as const;

/**
 * The options of `keepsake diff ARGS` exactly as the full command line would read them, or
 * undefined when the arguments are anything but plain options and paths of diff.
 */
export function plainDiffArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): DiffOptions | undefined {
  return plainArgs(argv, env, DIFF, { all: false, depth: '3', minSize: '0', sort: 'size' });
}

/** Runs a plain diff and gives its exit status; undefined for any other command line. */
export function runIfPlainDiff(argv: string[]): Promise<number> | undefined {
  const hooks = readHooks(process.env);
  const opts = plainDiffArgs(argv);
  if (!opts) return undefined;
  // The switches tests use are read here, once, for the whole run (hooks.ts).
  setHooks(hooks);
  return runPlain(opts, () => import('./commands/diff.js'));
}
