// `keepsake salvage run`: at shutdown, while the ephemeral file systems still hold this boot's
// files, copy the undeclared ones changed since boot into `<store>/.keepsake/salvage/<boot>/`,
// within the budget and the time allowed. Order, for crash safety: the record is written
// first as partial; the copies are made (each durable before it is listed); the final record
// replaces the first last. Killed at any point, what is there reads as partial. Then the
// salvages of the oldest boots beyond `keepBoots` are deleted (never this boot's).

import * as fs from 'node:fs';
import { hostPath } from '../core/paths.js';
import { areaOf } from '../diff/ephemeral.js';
import { observeEphemeral } from '../diff/ephemeral-live.js';
import { directoryReader } from '../diff/read-directory.js';
import { declaredTargets } from '../diff/scan.js';
import { SalvageError } from '../errors.js';
import type { Model, SalvageSettings } from '../model/types.js';
import { childPath } from '../orphans/find.js';
import { renameIn } from '../system/copy-file.js';
import { removeTreeSafe } from '../system/remove-tree.js';
import {
  chmodSafe,
  chownSafe,
  lstatOrNull,
  mkdirSafe,
  toSystemError,
  withVerifiedPath,
} from '../system/safe-fs.js';
import { type BootIdentity, isBootName, readBootIdentity } from './boot.js';
import { type Candidate, gatherChanged, type Selection, selectWithinBudget } from './candidates.js';
import { Copier, OutOfTime, skipReason } from './copy.js';
import {
  FILES_DIR,
  listSalvages,
  type SalvageRecord,
  type SkippedFile,
  salvageDir,
  writeRecord,
} from './record.js';
import { salvageSettings } from './settings.js';
import { step } from './steps.js';

export interface SalvagePlan {
  settings: SalvageSettings;
  boot: BootIdentity;
  bootMs: number;
  selection: Selection;
  /** Changed files no budget can take (names that are not UTF-8). */
  unusable: SkippedFile[];
}

/** What a salvage now would keep and leave; only reads. `diff` shows the same. */
export function planSalvage(root: string, model: Model): SalvagePlan {
  const settings = salvageSettings(model);
  const boot = readBootIdentity(root);
  const bootMs = boot.startMs;
  const declared = declaredTargets(model);
  const { mounts, areas } = observeEphemeral(root, model, declared);
  // A store that is not mounted is a directory of the ephemeral root: copies made there would
  // be wiped with what they are meant to keep.
  const unsafe = areaOf(settings.store, areas, root, mounts);
  if (unsafe !== undefined) {
    throw new SalvageError(
      `the store ${settings.store} is on ${unsafe.path === '/' ? 'the root' : unsafe.path}, which the next boot wipes (${unsafe.fsType}): a salvage there would be lost with the rest`,
      `mount the store, or name a persistent one in salvage.store`,
    );
  }
  const gathered = gatherChanged({
    root,
    model,
    settings,
    declared,
    mounts,
    areas,
    bootMs,
    read: directoryReader().read,
  });
  return {
    settings,
    boot,
    bootMs,
    selection: selectWithinBudget(gathered.candidates, settings.maxBytes),
    unusable: gathered.unusable,
  };
}

export interface SalvageOutcome {
  record: SalvageRecord;
  /** The boot's directory, as the booted system sees it. */
  dir: string;
  /** Salvages of older boots deleted. */
  expired: string[];
  /** Why extended attributes could not be copied, if they could not. */
  xattrProblem?: string;
}

export interface RunOptions {
  /** Test fault: the process kills itself after this many files are copied. */
  killAfter?: number;
  onFile?: (path: string, ok: boolean) => void;
}

/** A failure that leaves nothing more to copy: out of time, or no room in the store. */
function stopsEverything(reason: string): boolean {
  return /ran out of time|store is full|read-only/.test(reason);
}

/** `<store>/.keepsake/salvage`, made and checked: a real, root-only directory. */
function prepareSalvageDir(root: string, store: string): string {
  const storeHost = hostPath(root, store);
  withVerifiedPath(storeHost, 'directory', () => undefined);
  const records = childPath(storeHost, '.keepsake');
  if (lstatOrNull(records) === null) mkdirSafe(records, 0, 0, 0o755);
  const dir = hostPath(root, salvageDir(store));
  if (lstatOrNull(dir) === null) mkdirSafe(dir, 0, 0, 0o700);
  // A link planted at any step of the way is refused here, before anything is written.
  const st = withVerifiedPath(dir, 'directory', (_, st) => st);
  if (st.uid !== 0 || st.gid !== 0) chownSafe(dir, 0, 0);
  if ((st.mode & 0o7777) !== 0o700) chmodSafe(dir, 0o700);
  return dir;
}

/** The prefix of a salvage set aside for removal: no longer listed, not yet deleted. */
const ASIDE = '.expiring-';

/**
 * Deletes one salvage of keepsake's own root-only salvage directory, in two steps: renamed
 * to `.expiring-<boot>` (one atomic step: it is listed whole, or not at all: never a record
 * without its files, nor files under a record that says complete), then removed. Invariant:
 * only a salvage this run chose to delete (an expired or a superseded one) is set aside,
 * and a removal cut short leaves a set-aside one, which `finishRemovals` completes.
 */
function removeSalvage(salvageHost: string, boot: string): void {
  renameIn(salvageHost, boot, salvageHost, `${ASIDE}${boot}`);
  step('salvage-set-aside');
  removeTreeSafe(`${salvageHost}/${ASIDE}${boot}`);
  step('salvage-removed');
}

/** Completes the removals a run cut short left (`.expiring-<boot>`), and nothing else. */
function finishRemovals(salvageHost: string): void {
  const names = withVerifiedPath(salvageHost, 'directory', (proc) => fs.readdirSync(proc));
  for (const n of names) {
    if (n.startsWith(ASIDE) && isBootName(n.slice(ASIDE.length)))
      removeTreeSafe(`${salvageHost}/${n}`);
  }
}

/**
 * A fresh directory for this boot. A salvage made earlier in this same boot is superseded.
 * Invariant: it holds only this boot's files, which are on the running system still (and are
 * copied again now) unless someone on it deleted them since; the later salvage keeps the
 * system as it is later, as the one at shutdown would. Only keepsake's own root-only
 * directory is deleted, never through a link (removeSalvage).
 */
function freshBootDir(salvageHost: string, name: string): string {
  finishRemovals(salvageHost);
  if (lstatOrNull(`${salvageHost}/${name}`) !== null) removeSalvage(salvageHost, name);
  const boot = `${salvageHost}/${name}`;
  mkdirSafe(boot, 0, 0, 0o700);
  mkdirSafe(`${boot}/${FILES_DIR}`, 0, 0, 0o700);
  mkdirSafe(`${boot}/.staging`, 0, 0, 0o700);
  step('salvage-fresh');
  return boot;
}

/**
 * Deletes the salvages of the oldest boots until `keep` remain, never the current boot's,
 * and so never the newest: the current boot's salvage is written before any expires.
 * Removals cut short earlier are completed first.
 */
export function expireSalvages(root: string, store: string, keep: number, current: string) {
  const all = listSalvages(root, store).map((s) => s.boot);
  const others = all.filter((b) => b !== current);
  const room = Math.max(0, keep - (all.includes(current) ? 1 : 0));
  const doomed = others.slice(0, Math.max(0, others.length - room));
  const dir = hostPath(root, salvageDir(store));
  finishRemovals(dir);
  for (const b of doomed) removeSalvage(dir, b);
  return doomed;
}

export function runSalvage(root: string, model: Model, opts: RunOptions = {}): SalvageOutcome {
  const started = new Date();
  const plan = planSalvage(root, model);
  const { settings, boot } = plan;
  const deadline = started.getTime() + settings.timeoutMs;
  const salvageHost = prepareSalvageDir(root, settings.store);
  step('salvage-prepared');
  const bootHost = freshBootDir(salvageHost, boot.name);
  const record: SalvageRecord = {
    version: 1,
    boot: boot.name,
    bootId: boot.id,
    startedAt: started.toISOString(),
    finishedAt: null,
    complete: false,
    bytes: 0,
    files: [],
    skipped: [...plan.unusable, ...plan.selection.over],
  };
  writeRecord(bootHost, record);
  step('salvage-record-first');
  const copier = new Copier({
    root,
    files: `${bootHost}/${FILES_DIR}`,
    staging: `${bootHost}/.staging`,
    deadline,
  });
  let stopped: string | undefined;
  const skip = (c: Candidate, reason: string) =>
    record.skipped.push({ path: c.path, size: c.size, reason });
  for (const c of plan.selection.kept) {
    if (stopped === undefined && Date.now() > deadline) stopped = skipReason(new OutOfTime(c.path));
    if (stopped !== undefined) {
      skip(c, stopped);
      continue;
    }
    try {
      const done = copier.copy(c);
      record.files.push(done);
      record.bytes += done.size;
      opts.onFile?.(c.path, true);
    } catch (error) {
      const reason = skipReason(error);
      skip(c, reason);
      opts.onFile?.(c.path, false);
      if (stopsEverything(reason)) stopped = reason;
    }
    if (opts.killAfter !== undefined && record.files.length >= opts.killAfter)
      process.kill(process.pid, 'SIGKILL');
    step('salvage-file');
  }
  copier.syncAll();
  step('salvage-synced');
  // Staging holds only copies that failed midway (each is removed as it fails): keepsake's own.
  removeTreeSafe(`${bootHost}/.staging`);
  step('salvage-staging-removed');
  record.complete = stopped === undefined;
  record.finishedAt = new Date().toISOString();
  try {
    writeRecord(bootHost, record);
  } catch (error) {
    // The first record stays, and says partial: what was copied is there all the same.
    throw toSystemError(error, 'write', `${bootHost}/salvage.json`, 'write the salvage record');
  }
  step('salvage-record-final');
  const expired = expireSalvages(root, settings.store, settings.keepBoots, boot.name);
  return {
    record,
    dir: `${salvageDir(settings.store)}/${boot.name}`,
    expired,
    ...(copier.xattrProblem !== undefined ? { xattrProblem: copier.xattrProblem } : {}),
  };
}
