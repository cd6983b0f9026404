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

/**
 * Strings longer than this many code units go to the addon in slices of it. The addon encodes
 * each string it is given into memory of its own first: for a long one, a block malloc maps
 * afresh, every page of it touched for the first time (hashing a model's 600 KB took 4.5 ms,
 * and 2.6 ms in slices that reuse the same memory).
 */
const SLICE = 32 * 1024;

/** `parts` with each long string cut in slices: the same bytes in UTF-8, one after another. */
function sliced(parts: ReadonlyArray<string | Buffer>): ReadonlyArray<string | Buffer> {
  if (parts.every((p) => typeof p !== 'string' || p.length <= SLICE)) return parts;
  const out: Array<string | Buffer> = [];
  for (const part of parts) {
    if (typeof part !== 'string' || part.length <= SLICE) {
      out.push(part);
      continue;
    }
    for (let i = 0; i < part.length; ) {
      let end = Math.min(i + SLICE, part.length);
      // Never between the halves of a surrogate pair, each of which alone would be encoded
      // as U+FFFD: a lone half stays as lone as it was in the whole.
      const last = part.charCodeAt(end - 1);
      if (end < part.length && last >= 0xd800 && last <= 0xdbff) end++;
      out.push(part.slice(i, end));
      i = end;
    }
  }
  return out;
}

/** The hex SHA-256 of the parts' bytes one after another (strings as UTF-8). */
export function sha256Hex(...parts: ReadonlyArray<string | Buffer>): string {
  const native = loadBinding().binding?.sha256Hex;
  if (native) return native(sliced(parts));
  const h = nodeCrypto().createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex');
}

/** `bytes` random bytes in hex, for names nobody can guess ahead. */
export function randomHex(bytes: number): string {
  const native = loadBinding().binding?.randomHex?.(bytes);
  return native ?? nodeCrypto().randomBytes(bytes).toString('hex');
}
