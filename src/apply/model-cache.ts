// A cache of the validated model in `<root>/run/keepsake/`, so that re-applying an unchanged
// configuration (the common case: boot, timers, config management) skips parsing YAML and
// validating. Keyed by everything the model depends on; /run is a tmpfs, so every boot starts
// without it. Only a root-owned file that nobody else can write is trusted.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { storedAccountFiles } from '../config/accounts.js';
import { hostPath } from '../core/paths.js';
import { knownSetup, setupOf } from '../generations/store.js';
import type { Model } from '../model/types.js';
import { lstatOrNull, mkdirSafe, writeFileAtomicSafe } from '../system/safe-fs.js';
import { VERSION } from '../version.js';

const CACHE_DIR = '/run/keepsake';
const CACHE_FILE = 'model.json';

interface CacheFile {
  key: string;
  /** The stored account files the names came from, when the model persists them. */
  accounts: string;
  model: Model;
  /** setupOf(model), so a cache hit needs no hashing. */
  setup: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function cacheKey(file: string, root: string, verbose: boolean): string {
  const h = createHash('sha256');
  for (const part of [
    VERSION,
    resolve(file),
    root,
    String(verbose),
    readOr(file, '\0missing'),
    readOr(hostPath(root, '/etc/passwd'), ''),
    readOr(hostPath(root, '/etc/group'), ''),
  ]) {
    h.update(part).update('\0');
  }
  return h.digest('hex');
}

/**
 * The stored copies of /etc/passwd and /etc/group a model's names were resolved from: the key
 * cannot name them (it is computed before the configuration is read), so the cache file holds
 * their digest, checked against the files as they are now.
 */
function accountsDigest(root: string, model: Model): string {
  const h = createHash('sha256');
  for (const file of storedAccountFiles(root, model.entries))
    h.update(file).update('\0').update(readOr(file, '\0missing')).update('\0');
  return h.digest('hex');
}

function readCache(path: string, key: string, root: string): Model | undefined {
  const st = lstatOrNull(path);
  if (!st?.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0) return undefined;
  try {
    const cached = JSON.parse(fs.readFileSync(path, 'utf8')) as CacheFile;
    if (cached.key !== key || cached.accounts !== accountsDigest(root, cached.model))
      return undefined;
    if (cached.setup) knownSetup(cached.model, cached.setup);
    return cached.model;
  } catch {
    return undefined;
  }
}

/**
 * The model for a configuration, from the cache when nothing it depends on changed.
 * `store: true` writes the cache (apply does; read-only commands only read it).
 */
export async function loadModel(
  file: string,
  opts: { root: string; verbose: boolean; store: boolean },
): Promise<Model> {
  const canCache = process.geteuid?.() === 0;
  const key = canCache ? cacheKey(file, opts.root, opts.verbose) : '';
  const dir = hostPath(opts.root, CACHE_DIR);
  const cached = canCache ? readCache(`${dir}/${CACHE_FILE}`, key, opts.root) : undefined;
  if (cached) return cached;
  // The parsers load only when the cache cannot answer.
  const { loadConfig } = await import('../config/index.js');
  const model = loadConfig(file, { root: opts.root, verbose: opts.verbose });
  if (canCache && opts.store) {
    try {
      if (!lstatOrNull(dir)) mkdirSafe(dir, 0, 0, 0o700);
      writeFileAtomicSafe(
        `${dir}/${CACHE_FILE}`,
        JSON.stringify({
          key,
          accounts: accountsDigest(opts.root, model),
          model,
          setup: setupOf(model),
        } satisfies CacheFile),
        0o600,
      );
    } catch {
      // A cache that cannot be written (read-only or missing /run) only costs time.
    }
  }
  return model;
}
