// What a validated model is keyed by: everything it depends on. Shared by the model cache
// (model-cache.ts) and the settled record (settled.ts), which both trust a model only while
// its key holds. Small on purpose: the settled check loads this and little else.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostPath } from '../core/paths.js';
import { SystemError } from '../errors.js';
import { sha256Hex } from '../system/digest.js';
import { withVerifiedPath } from '../system/safe-fs.js';
import { VERSION } from '../version.js';

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * What a model is cached under: the configuration text as read (the same text is then
 * parsed, so a file replaced meanwhile cannot pair one text's key with another's model).
 */
export function cacheKey(
  text: string,
  file: string,
  opts: { root: string; verbose: boolean },
  version = VERSION,
): string {
  const parts = [
    version,
    path.resolve(file),
    opts.root,
    String(opts.verbose),
    text,
    readOr(hostPath(opts.root, '/etc/passwd'), ''),
    readOr(hostPath(opts.root, '/etc/group'), ''),
  ];
  return sha256Hex(...parts.flatMap((part) => [part, '\0']));
}

/** The digest of the stored account files a model's names came from, as they are now. */
export function filesDigest(files: readonly string[]): string {
  return sha256Hex(...files.flatMap((file) => [file, '\0', storedText(file), '\0']));
}

/**
 * A stored account file's text as the loader takes it (accounts.ts, readStored): the file
 * itself, reached with no link followed anywhere in its path. What the loader refuses (a link,
 * something other than a file) digests as a refusal, never as the text it leads to.
 */
function storedText(file: string): string {
  try {
    return withVerifiedPath(file, 'file', (at) => fs.readFileSync(at, 'utf8'));
  } catch (e) {
    const missing = e instanceof SystemError && (e.errno === 'ENOENT' || e.errno === 'ENOTDIR');
    return missing ? '\0missing' : '\0refused';
  }
}
