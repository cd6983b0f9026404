// Errno names in words, as the C library prints them (`ENOENT` → `no such file or directory`).

import { getSystemErrorMap } from 'node:util';

let errnoMessages: Map<string, string> | undefined;

/** `ENOENT` -> `no such file or directory`. */
export function describeErrno(code: string): string {
  errnoMessages ??= new Map([...getSystemErrorMap().values()].map(([name, text]) => [name, text]));
  return errnoMessages.get(code) ?? 'unknown error';
}
