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

import * as path from 'node:path';
import { storedAccountFiles } from '../config/accounts.js';
import type { LoadOptions } from '../config/load-model.js';
import { readConfigFile } from '../config/load-text.js';
import { hostPath } from '../core/paths.js';
import { modelText } from '../generations/model-text.js';
import { knownSetup, setupOf } from '../generations/store.js';
import { stepCounter } from '../hooks.js';
import { type PackedEntries, unpackEntries } from '../model/pack.js';
import type { Model, PersistEntry } from '../model/types.js';
import { type PackedTopology, packTopology, seedTopology } from '../plan/topology.js';
import { clearDeadTemporaries } from '../system/atomic-write.js';
import type { TextPieces } from '../system/file-content.js';
import { readRootOnlyFile, rootOnly } from '../system/root-file.js';
import { lstatOrNull, mkdirSafe, writeFileAtomicSafe } from '../system/safe-fs.js';
import { cacheKey, filesDigest } from './model-key.js';

const RUN_DIR = '/run/keepsake';
/** keepsake's own directory in a store (orphans and prune leave it alone). */
const STORE_DIR = '.keepsake';
const CACHE_FILE = 'model.json';

/**
 * The cache file: JSON.stringify of a CacheFile, its model with the entries packed
 * (src/model/pack.ts) as the records keep it too: one text made for both.
 */
interface CacheFile {
  key: string;
  /**
   * The digest of the stored copies of /etc/passwd and /etc/group the names were resolved
   * from, when the model persists them: the key cannot name them (it is computed before the
   * configuration is read), so they are checked against the files as they are now.
   */
  accounts: string;
  /** setupOf(model), so a cache hit needs no hashing. */
  setup: string;
  /** The model, its entries packed (src/model/pack.ts) where they could be. */
  model: Omit<Model, 'entries'> & { entries: PersistEntry[] | PackedEntries };
  /** How its entries nest (src/plan/topology.ts), where the file has it. */
  topology?: PackedTopology;
}

function cacheText(key: string, accounts: string, model: Model): TextPieces {
  // JSON.stringify of a CacheFile, its keys in this order, in pieces: the model's text is not
  // copied into a text of the whole file.
  const head = `{"key":${JSON.stringify(key)},"accounts":${JSON.stringify(accounts)}`;
  return {
    pieces: [
      `${head},"setup":${JSON.stringify(setupOf(model))},"model":`,
      modelText(model),
      `,"topology":${JSON.stringify(packTopology(model.entries))}}`,
    ],
  };
}

function readCache(file: string, key: string, root: string): Cached | undefined {
  const text = readRootOnlyFile(file);
  if (text === undefined) return undefined;
  try {
    const cached = JSON.parse(text) as CacheFile;
    if (cached.key !== key || typeof cached.model !== 'object' || cached.model === null)
      return undefined;
    const { entries } = cached.model;
    const model: Model = {
      ...cached.model,
      entries: Array.isArray(entries) ? entries : unpackEntries(entries),
    };
    const files = storedAccountFiles(root, model.entries);
    if (cached.accounts !== filesDigest(files) || typeof cached.setup !== 'string')
      return undefined;
    knownSetup(model, cached.setup);
    // Without it (or where it does not fit), the planner works it out.
    seedTopology(model.entries, cached.topology);
    return { model, accounts: { files, digest: cached.accounts } };
  } catch {
    return undefined;
  }
}

/** A model from a cache, with the account files it was checked against. */
interface Cached {
  model: Model;
  accounts: ModelKey['accounts'];
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
function readStoreCache(file: string, key: string, root: string): Cached | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const records = trustedStoreDir(dir);
    if (records !== undefined && lstatOrNull(`${records}/${CACHE_FILE}`)) {
      const cached = readCache(`${records}/${CACHE_FILE}`, key, root);
      if (cached?.model.stores.some((s) => hostPath(root, s) === dir)) return cached;
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
function writeCache(dir: string, mode: number, content: TextPieces): boolean {
  try {
    if (!lstatOrNull(dir)) mkdirSafe(dir, 0, 0, mode);
    // What a writer killed before its rename left beside the cache goes once that writer is
    // gone: only its temporary file, never the cache, which every run that writes it makes
    // anew (clearDeadTemporaries). Left, each would stay in the store for good.
    clearDeadTemporaries(dir, CACHE_FILE);
    // KEEPSAKE_TEST_KILL_AT=model-cache:1 kills keepsake with the new file written but not yet
    // renamed over the old one, model-cache:2 right after (test/integration/model-cache-faults).
    const step = stepCounter('model-cache');
    writeFileAtomicSafe(`${dir}/${CACHE_FILE}`, content, 0o600, step);
    step();
    return true;
  } catch {
    // Only time is lost: the next run parses again.
    return false;
  }
}

/**
 * What a model was trusted for: its cache key, and the stored account files (with their
 * digest) its names came from. A later run that finds all of them as they were would build
 * the same model (the settled record relies on it).
 */
export interface ModelKey {
  key: string;
  accounts: { files: string[]; digest: string };
}

/**
 * The model for a configuration, from a cache when nothing it depends on changed.
 * `store: true` writes the caches (apply does; read-only commands only read them). Running as
 * root, `keyed` receives what the model was keyed by.
 */
export async function loadModel(
  file: string,
  opts: LoadOptions & { verbose: boolean; store: boolean; keyed?: (key: ModelKey) => void },
): Promise<Model> {
  const { format, text } = readConfigFile(file);
  const canCache = process.geteuid?.() === 0;
  const abs = path.resolve(file);
  const key = canCache ? cacheKey(text, file, opts) : '';
  const runDir = hostPath(opts.root, RUN_DIR);
  if (canCache) {
    const cached =
      readCache(`${runDir}/${CACHE_FILE}`, key, opts.root) ?? readStoreCache(abs, key, opts.root);
    if (cached) {
      opts.keyed?.({ key, accounts: cached.accounts });
      return cached.model;
    }
  }
  // The parsers load only when no cache can answer.
  const { loadModelText } = await import('../config/load-model.js');
  const model = await loadModelText(text, file, format, opts);
  if (canCache) {
    const files = storedAccountFiles(opts.root, model.entries);
    const accounts = { files, digest: filesDigest(files) };
    opts.keyed?.({ key, accounts });
    if (opts.store) {
      const content = cacheText(key, accounts.digest, model);
      // The store's copy serves this boot's later runs as well as the next boots: /run needs
      // one only where the store cannot keep it.
      const store = storeOfConfig(abs, opts.root, model);
      const records = store === undefined ? undefined : trustedStoreDir(store);
      if (records === undefined || !writeCache(records, 0o700, content)) {
        writeCache(runDir, 0o700, content);
      }
    }
  }
  return model;
}
