// The boot path on its own: `keepsake apply` with plain options, as keepsake.service runs it at
// every boot. The build makes this one CommonJS file (dist/bundle/apply.cjs) holding all the
// code a plain apply can reach, so that Node has one file to read and compile, and no graph
// of ES modules to resolve, link and load (with the parts of Node that loading brings in).
// Every other command line goes to the full command line (entry.ts), in the other bundle.

import { readHooks, setHooks } from '../hooks.js';
import { plainApplyArgs, runPlainApply } from './fast-apply.js';

export { useLoadedAddon } from '../system/binding.js';

/** Runs a plain apply and gives its exit status; undefined for any other command line. */
export function runIfPlainApply(argv: string[]): Promise<number> | undefined {
  const hooks = readHooks(process.env);
  const plain = plainApplyArgs(argv);
  if (!plain) return undefined;
  // The switches tests use are read here, once, for the whole run (hooks.ts).
  setHooks(hooks);
  return runPlainApply(plain);
}
