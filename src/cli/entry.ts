// keepsake's entry point. `keepsake apply` with plain options, as keepsake.service runs it at
// boot, goes straight to the command; everything else goes through the full command line.

import { readHooks, setHooks } from '../hooks.js';
import { plainApplyArgs, runPlainApply } from './fast-apply.js';

export async function main(argv: string[]): Promise<number> {
  // The switches tests use are read here, once, for the whole run (hooks.ts).
  setHooks(readHooks(process.env));
  const plain = plainApplyArgs(argv);
  if (plain) return runPlainApply(plain);
  return (await import('./main.js')).main(argv);
}
