// Errno names in words, as the C library prints them (`ENOENT` → `no such file or directory`).

import { createRequire } from 'node:module';
import type * as Util from 'node:util';

let errnoMessages: Map<string, string> | undefined;

/** `ENOENT` -> `no such file or directory`. */
export function describeErrno(code: string): string {
  // Loaded here, on the first error: importing node:util up front loads parts of Node that
  // a run without errors never needs.
  const util = createRequire(import.meta.url)('node:util') as typeof Util;
  errnoMessages ??= new Map(
    [...util.getSystemErrorMap().values()].map(([name, text]) => [name, text]),
  );
  return errnoMessages.get(code) ?? 'unknown error';
}
