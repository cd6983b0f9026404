// A cache of the validated model, so that applying an unchanged configuration (the common
// case: every boot, timers, config management) skips parsing and validating. Two places:
//
// - `<store>/.keepsake/model.json` in the store that holds the configuration file, which
//   survives the reboot: the one a boot finds, and the later runs of the boot too;
// - `<root>/run/keepsake/model.json`, for the rest of this boot, only where no store can keep
//   it (the configuration lies in none, or the store is read-only or not root's alone); /run
//   is a tmpfs: every boot starts without it.
//
// Both are keyed by everything the model depends on (the configuration's bytes, keepsake's
// version, the root's account files, and the stored account files the names came from), are
// written atomically, and are trusted only where nobody but root can write: the file, and for
// the store, the store and its `.keepsake` directory, as for the generations kept there. Any
// doubt (a link, another owner, a mode others may write, unreadable or corrupt JSON, another
// key) means the configuration is parsed as if there were no cache.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { storedAccountFiles } from '../config/accounts.js';
import type { LoadOptions } from '../config/load-model.js';
import { readConfigFile } from '../config/load-text.js';
import { hostPath } from '../core/paths.js';
import { knownSetup, setupOf } from '../generations/store.js';
import type { Model } from '../model/types.js';
import { sha256Hex } from '../system/digest.js';
import {
  lstatOrNull,
  mkdirSafe,
  withVerifiedPath,
  writeFileAtomicSafe,
} from '../system/safe-fs.js';
import { VERSION } from '../version.js';

const RUN_DIR = '/run/keepsake';
/** keepsake's own directory in a store (orphans and prune leave it alone). */
const STORE_DIR = '.keepsake';
const CACHE_FILE = 'model.json';

interface CacheFile {
  key: string;
  /** The stored account files the names came from, when the model persists them. */
  accounts: string;
  model: Model;
  /** setupOf(model), so a cache hit needs no hashing. */
  setup: string;
}

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

/**
 * The stored copies of /etc/passwd and /etc/group a model's names were resolved from: the key
 * cannot name them (it is computed before the configuration is read), so the cache file holds
 * their digest, checked against the files as they are now.
 */
function accountsDigest(root: string, model: Model): string {
  const parts = storedAccountFiles(root, model.entries).flatMap((file) => [
    file,
    '\0',
    readOr(file, '\0missing'),
    '\0',
  ]);
  return sha256Hex(...parts);
}

/** Owned by root and writable by nobody else (a directory, or with `file`, a regular file). */
function rootOnly(st: fs.Stats | null, kind: 'directory' | 'file'): boolean {
  if (st?.uid !== 0 || (st.mode & 0o022) !== 0) return false;
  return kind === 'directory' ? st.isDirectory() : st.isFile();
}

/**
 * The cache file's text, when it and every component of its path are what they seem: opened
 * with no link followed anywhere (O_PATH|O_NOFOLLOW per component), then read through that
 * descriptor, so that what was checked is what is read.
 */
function readTrusted(file: string): string | undefined {
  try {
    return withVerifiedPath(file, 'file', (at, st) =>
      rootOnly(st, 'file') ? fs.readFileSync(at, 'utf8') : undefined,
    );
  } catch {
    return undefined;
  }
}

function readCache(file: string, key: string, root: string): Model | undefined {
  const text = readTrusted(file);
  if (text === undefined) return undefined;
  try {
    const cached = JSON.parse(text) as CacheFile;
    if (cached.key !== key || typeof cached.model !== 'object' || cached.model === null)
      return undefined;
    if (cached.accounts !== accountsDigest(root, cached.model)) return undefined;
    if (typeof cached.setup === 'string') knownSetup(cached.model, cached.setup);
    return cached.model;
  } catch {
    return undefined;
  }
}

/** A store's `.keepsake` directory as the host sees it, when only root can write there. */
function trustedStoreDir(storeHost: string): string | undefined {
  const dir = `${storeHost === '/' ? '' : storeHost}/${STORE_DIR}`;
  if (!rootOnly(lstatOrNull(storeHost), 'directory')) return undefined;
  const st = lstatOrNull(dir);
  return st === null || rootOnly(st, 'directory') ? dir : undefined;
}

/**
 * The model cached in the store that holds the configuration: the stores are only known once
 * the configuration is read, so every directory above the file is a candidate, and a hit
 * counts only if that directory is one of the cached model's own stores.
 */
function readStoreCache(file: string, key: string, root: string): Model | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const records = trustedStoreDir(dir);
    if (records !== undefined && lstatOrNull(`${records}/${CACHE_FILE}`)) {
      const model = readCache(`${records}/${CACHE_FILE}`, key, root);
      if (model?.stores.some((s) => hostPath(root, s) === dir)) return model;
    }
    if (dir === '/') return undefined;
  }
}

/** The host path of the model's store that holds the configuration file, if one does. */
function storeOfConfig(file: string, root: string, model: Model): string | undefined {
  const holding = model.stores
    .map((s) => hostPath(root, s))
    .filter((s) => file.startsWith(s === '/' ? '/' : `${s}/`))
    .sort((a, b) => b.length - a.length);
  return holding[0];
}

/**
 * Writes the cache file (true when it was); a cache that cannot be written (a read-only or full store, no /run)
 * only costs time. Invariant: only `model.json` in keepsake's own directory is replaced,
 * atomically (a new file renamed over it), so no data of the store is touched and a reader
 * sees the old file or the new one, never a mix.
 */
function writeCache(dir: string, mode: number, content: string): boolean {
  try {
    if (!lstatOrNull(dir)) mkdirSafe(dir, 0, 0, mode);
    writeFileAtomicSafe(`${dir}/${CACHE_FILE}`, content, 0o600);
    return true;
  } catch {
    // Only time is lost: the next run parses again.
    return false;
  }
}

/**
 * The model for a configuration, from a cache when nothing it depends on changed.
 * `store: true` writes the caches (apply does; read-only commands only read them).
 */
export async function loadModel(
  file: string,
  opts: LoadOptions & { verbose: boolean; store: boolean },
): Promise<Model> {
  const { format, text } = readConfigFile(file);
  const canCache = process.geteuid?.() === 0;
  const abs = path.resolve(file);
  const key = canCache ? cacheKey(text, file, opts) : '';
  const runDir = hostPath(opts.root, RUN_DIR);
  if (canCache) {
    const cached =
      readCache(`${runDir}/${CACHE_FILE}`, key, opts.root) ?? readStoreCache(abs, key, opts.root);
    if (cached) return cached;
  }
  // The parsers load only when no cache can answer.
  const { loadModelText } = await import('../config/load-model.js');
  const model = await loadModelText(text, file, format, opts);
  if (canCache && opts.store) {
    const content = JSON.stringify({
      key,
      accounts: accountsDigest(opts.root, model),
      model,
      setup: setupOf(model),
    } satisfies CacheFile);
    // The store's copy serves this boot's later runs as well as the next boots: /run needs
    // one only where the store cannot keep it.
    const store = storeOfConfig(abs, opts.root, model);
    const records = store === undefined ? undefined : trustedStoreDir(store);
    if (records === undefined || !writeCache(records, 0o700, content)) {
      writeCache(runDir, 0o700, content);
    }
  }
  return model;
}
