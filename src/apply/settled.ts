// The settled record: how a re-apply that would do nothing knows it without planning.
//
// An apply that planned nothing to do (every entry in place, nothing skipped, nothing to
// release) writes, in <root>/run/keepsake/settled.json, everything that plan was made from:
//
// - keepsake's version and build (a planner of another build may plan otherwise);
// - the model's key (the configuration's bytes, keepsake's version, the root's account files,
//   and the stored account files the names came from: model-key.ts);
// - the options that change a plan (--adopt, --keep-going);
// - the live summary (generation, setup) it found unchanged;
// - the mount table and utab, as digests of their bytes, and beside the record (in
//   settled-mounts.json, named in the record) the mount table as read and the paths
//   the plan asked about of it: a table that has changed since answers those questions the
//   same if the lines they depend on are the same (src/core/mount-relevance.ts);
// - every path the planner asked about, with the answer (lstat field by field, emptiness).
//
// The planner is a pure function of those. A later `keepsake apply` with the same options
// that finds every one of them as it was would plan nothing again, so it can say so without
// loading the parsers or the planner (src/cli/settled.ts). Anything different, missing or
// in doubt, and the apply plans as usual. A stale record is harmless: it is only ever believed
// where the system answers every question exactly as it did when the record was made.
//
// The record lives in /run (a tmpfs: every boot starts without one), is written atomically
// by root, and is read only where root alone could have written it.

import { hostPath } from '../core/paths.js';
import { readLiveSummary } from '../generations/store.js';
import {
  type MountsSeen,
  mountsSeenPieces,
  type Observations,
  sameObservations,
} from '../observe/observe.js';
import { randomHex } from '../system/digest.js';
import { readRootOnlyFile, rootOnly } from '../system/root-file.js';
import { lstatOrNull, writeFileAtomicSafe } from '../system/safe-fs.js';
import { BUILD, VERSION } from '../version.js';
import type { ModelKey } from './model-cache.js';
import { cacheKey, filesDigest } from './model-key.js';

export const SETTLED_FILE = '/run/keepsake/settled.json';
/** The mount table a settled record was made from, and the paths asked about of it. */
const MOUNTS_FILE = '/run/keepsake/settled-mounts.json';

/** The options of an apply that change its plan. */
export interface PlanOptions {
  adopt: boolean;
  keepGoing: boolean;
}

/** What a settled apply reports: the same as the apply that planned nothing. */
export interface Settled {
  entries: number;
  generation: number;
  /** The version of the `apply.result` record that apply printed. */
  resultVersion: number;
}

interface SettledRecord extends Settled {
  version: string;
  key: string;
  accounts: ModelKey['accounts'];
  options: PlanOptions;
  setup: string;
  observed: Observations;
}

/**
 * Writes the record of a plan that did nothing. Only time depends on it: a record that cannot
 * be written (a full or read-only /run) is left out, and an older one stays harmless.
 * Invariant: only settled.json in keepsake's own directory is replaced, atomically.
 */
export function writeSettled(
  root: string,
  made: {
    key: ModelKey;
    options: PlanOptions;
    setup: string;
    observed: Observations;
    /** The mount table to keep beside the record; without, the record keeps the one it names. */
    mounts?: MountsSeen;
  } & Settled,
): void {
  const { seen: named, ...observed } = made.observed;
  let seen = made.mounts === undefined ? named : undefined;
  // The mount table first, under a name of its own, then the record that names it: a record
  // never names a table other than its own (a kill between the two leaves the old record,
  // which names the old table). Without it, any change to the table sends the apply to planning.
  if (made.mounts !== undefined) {
    try {
      const id = randomHex(16);
      // In pieces (mountsSeenPieces), encoded through the buffer records are written from: no
      // text or buffer of the whole file (260 KB at 1,300 entries).
      const pieces = mountsSeenPieces(made.mounts, id);
      writeFileAtomicSafe(hostPath(root, MOUNTS_FILE), { pieces }, 0o600);
      seen = id;
    } catch {
      // Only time is lost.
    }
  }
  const record: SettledRecord = {
    version: `${VERSION} ${BUILD}`,
    key: made.key.key,
    accounts: made.key.accounts,
    options: made.options,
    setup: made.setup,
    entries: made.entries,
    generation: made.generation,
    resultVersion: made.resultVersion,
    observed: { ...observed, ...(seen === undefined ? {} : { seen }) },
  };
  try {
    writeFileAtomicSafe(hostPath(root, SETTLED_FILE), JSON.stringify(record), 0o600);
  } catch {
    // Only time is lost: the next apply plans.
  }
}

/**
 * What an apply of `configFile` with `options` would report, when the record shows that it
 * would plan nothing; undefined when anything it was made from differs, or on any doubt.
 * `root` is a real path (resolveRoot). Reads only; never throws.
 */
export function checkSettled(
  root: string,
  configFile: string,
  readText: (file: string) => string | undefined,
  options: PlanOptions,
  /** Gives the mount table's text (read ahead: readMountInfoAhead); read here when absent. */
  mountTable?: () => string,
): Settled | undefined {
  try {
    // keepsake's own directory too: nobody but root may have put or swapped a record there.
    if (!rootOnly(lstatOrNull(hostPath(root, '/run/keepsake')), 'directory')) return undefined;
    const text = readRootOnlyFile(hostPath(root, SETTLED_FILE));
    if (text === undefined) return undefined;
    const r = JSON.parse(text) as SettledRecord;
    // Only this build's planner vouches for its plans.
    if (r.version !== `${VERSION} ${BUILD}`) return undefined;
    if (r.options?.adopt !== options.adopt || r.options.keepGoing !== options.keepGoing)
      return undefined;
    // The same model: the key of the configuration as it reads now, and the account files.
    const config = readText(configFile);
    if (config === undefined) return undefined;
    const key = cacheKey(config, configFile, { root, verbose: false });
    if (key !== r.key || filesDigest(r.accounts.files) !== r.accounts.digest) return undefined;
    // The same live generation, with nothing skipped.
    const live = readLiveSummary(root);
    if (live?.number !== r.generation || live.setup !== r.setup || live.skipped !== 0)
      return undefined;
    // The same answers to every question the plan asked.
    const readSeen = () => readRootOnlyFile(hostPath(root, MOUNTS_FILE));
    const same = sameObservations(root, r.observed, readSeen, mountTable);
    if (same === undefined) return undefined;
    const settled = {
      entries: r.entries,
      generation: r.generation,
      resultVersion: r.resultVersion,
    };
    // The mount table changed in lines no answer depends on: the record made anew for the
    // table's text as it is (the table kept beside it still serves, its lines being the same),
    // so that the next apply needs only compare the text again.
    if (same.moved !== undefined) {
      writeSettled(root, {
        ...settled,
        key: { key: r.key, accounts: r.accounts },
        options: r.options,
        setup: r.setup,
        observed: { ...r.observed, mounts: same.moved },
      });
    }
    return settled;
  } catch {
    return undefined;
  }
}
