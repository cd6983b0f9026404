// The one place a failure is printed, for the full command line and for the plain apply a
// boot runs alike.

import { exitCodeFor } from '../errors.js';
import { explain } from './explain.js';
import type { Output } from './output.js';

/**
 * The one place a failure is printed: as a message with a hint, whatever was thrown (see
 * explain.ts). The stack trace, of the error as it was thrown, only with --debug.
 */
export function report(e: unknown, out: Output, debug: boolean): number {
  const shown = explain(e);
  out.failure(shown);
  if (debug && !out.json && e instanceof Error && e.stack) out.error(out.paint('dim', e.stack));
  return exitCodeFor(shown);
}
