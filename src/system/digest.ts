// SHA-256 digests and random names, from the addon where it is built. node:crypto gives the
// same results, but loading it is several milliseconds of every run, more than all the
// hashing an apply does; it is loaded only where the addon is missing (or lacks these calls).

import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { loadBinding } from './binding.js';

let crypto: typeof Crypto | undefined;
function nodeCrypto(): typeof Crypto {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof Crypto;
  return crypto;
}

/** The hex SHA-256 of the parts' bytes one after another (strings as UTF-8). */
export function sha256Hex(...parts: ReadonlyArray<string | Buffer>): string {
  const native = loadBinding().binding?.sha256Hex;
  if (native) return native(parts);
  const h = nodeCrypto().createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex');
}

/** `bytes` random bytes in hex, for names nobody can guess ahead. */
export function randomHex(bytes: number): string {
  const native = loadBinding().binding?.randomHex?.(bytes);
  return native ?? nodeCrypto().randomBytes(bytes).toString('hex');
}
