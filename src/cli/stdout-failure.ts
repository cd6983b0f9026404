// Standard output that fails (a pipe its reader closed, a full disk) must never stop an apply
// midway, as an unhandled stream error would, between two steps and before any undo: the
// failure is said once on standard error, the run carries on, and its exit status is 1.

import { writeSync } from 'node:fs';

let failed = false;

/** What to do when writing to standard output failed with `error`. */
export function stdoutFailed(error: Error): void {
  if (failed) return;
  failed = true;
  try {
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    writeSync(2, `keepsake: cannot write the report to standard output (${code})\n`);
  } catch {
    // Standard error is gone too: the exit status is all that is left to say it.
  }
  process.once('exit', (code) => {
    if (code === 0) process.exitCode = 1;
  });
}
