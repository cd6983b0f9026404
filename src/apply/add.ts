// `keepsake add PATH`: take a live path that is not persisted yet, declare it in the
// configuration file (comments and layout kept), move its data into the store and bind or
// link it back in place. Order, for crash safety: every check first (the edited
// configuration must validate and the plan must have no problems), then the configuration
// file is written, then the apply runs. Killed in between, running `add` again converges:
// the entry is declared already, and adoption picks up wherever the data is.

import * as fs from 'node:fs';
import { type AddRequest, addEntryToConfigText, classicOwners } from '../config/edit.js';
import { Accounts, loadConfigText } from '../config/index.js';
import { formatOf } from '../config/load.js';
import { hostPath, isWithin } from '../core/paths.js';
import { UsageError } from '../errors.js';
import { readApplied } from '../generations/store.js';
import type { Model } from '../model/types.js';
import { observe } from '../observe/observe.js';
import { buildPlan } from '../plan/build.js';
import { readPendingMoves } from '../system/move-journal.js';
import { backupTagFor, classicStores, type Prepared } from './pipeline.js';

export interface AddOptions {
  configFile: string;
  root: string;
  path: string;
  /** The storage location's key; default: the configuration's only location. */
  store?: string;
  /** Declare it in this user's home (home-relative). */
  user?: string;
}

export interface PreparedAdd extends Prepared {
  request: AddRequest;
  /** The configuration file as it will be written; the same text when already declared. */
  before: string;
  after: string;
}

/** Everything `add` will do, checked; changes nothing. */
export function prepareAdd(opts: AddOptions, current: Model): PreparedAdd {
  const path = normalise(opts.path);
  const st = fs.lstatSync(hostPath(opts.root, path), { throwIfNoEntry: false });
  const declared = current.entries.find((e) => e.target === path);
  if (!st && !declared)
    throw new UsageError(`${path} does not exist`, 'add takes a path that is there now');
  if (st && !st.isDirectory() && !st.isFile()) {
    throw new UsageError(
      `${path} is neither a directory nor a regular file`,
      'only directories and files can be persisted',
    );
  }
  const kind = declared?.kind ?? (st?.isDirectory() ? 'directory' : 'file');
  const location = opts.store ?? onlyLocation(current);
  const format = formatOf(opts.configFile);
  if (!format)
    throw new UsageError(`${opts.configFile}: keepsake edits .yaml, .yml, .toml and .json files`);
  const before = fs.readFileSync(opts.configFile, 'utf8');
  const { user, classic } = storeUser(opts, before, format);
  let entryPath = path;
  if (user) {
    const account = Accounts.load(opts.root).user(user);
    if (!account) throw new UsageError(`user ${user} is not in ${opts.root}/etc/passwd`);
    if (!isWithin(path, account.home) || path === account.home) {
      throw new UsageError(`${path} is not inside ${user}'s home ${account.home}`);
    }
    entryPath = path.slice(account.home.length + 1);
  }
  const request: AddRequest = {
    kind,
    location,
    path: entryPath,
    ...(user ? { user } : {}),
    ...(classic ? { classic } : {}),
  };
  const after = declared ? before : addEntryToConfigText(before, format, request);
  // The edited file must validate exactly as apply would read it.
  const model = loadConfigText(after, opts.configFile, { root: opts.root, format });
  const entry = model.entries.find((e) => e.target === path);
  if (!entry) throw new UsageError(`${path} did not end up declared; is ${location} enabled?`);
  const previous = readApplied(opts.root);
  // Only the new entry adopts what is at its target; the model stays as the file says.
  const plan = buildPlan(model, observe(opts.root), previous, {
    adoptTargets: [path],
    backupTag: backupTagFor(new Date()),
    pendingMoves: readPendingMoves(opts.root, model.stores),
  });
  return { model, plan, ...(previous ? { previous } : {}), request, before, after };
}

/**
 * Whose entry it is, and in which layout: a `--store` naming a user's own storage directory
 * (`users.<user>.persistence.<dir>`, Home Manager's classic layout) takes the entry in that
 * block, home-relative, for that user; `--user` may name only that user, and may be left out.
 */
export function storeUser(
  opts: { store?: string; user?: string },
  text: string,
  format: 'yaml' | 'toml' | 'json',
): { user?: string; classic: boolean } {
  const owners = opts.store === undefined ? [] : classicOwners(text, format, opts.store);
  if (owners.length === 0) return { ...(opts.user ? { user: opts.user } : {}), classic: false };
  const block = (u: string) => `users.${u}.persistence."${opts.store}"`;
  if (opts.user !== undefined && !owners.includes(opts.user)) {
    throw new UsageError(
      `${opts.store} is ${owners.join(' and ')}'s own storage directory (${block(owners[0]!)}), not ${opts.user}'s`,
      `use --user ${owners[0]} to add to it, or name one of ${opts.user}'s storage locations with --store`,
    );
  }
  if (opts.user === undefined && owners.length > 1) {
    throw new UsageError(
      `${opts.store} is the storage directory of ${owners.join(' and ')}`,
      `name the user with --user, e.g. --user ${owners[0]}`,
    );
  }
  return { user: opts.user ?? owners[0]!, classic: true };
}

function normalise(p: string): string {
  const n = p.replace(/\/+$/, '').replace(/\/{2,}/g, '/') || '/';
  if (!n.startsWith('/') || n.split('/').some((c) => c === '..' || c === '.')) {
    throw new UsageError(`${p}: give an absolute path without . or .. components`);
  }
  return n;
}

/**
 * The location `add` and `ignore` write to when none is named: the configuration's only
 * system location. A user's own storage directory (Home Manager's classic layout) is not a
 * candidate: it holds that user's entries only, in a layout of its own.
 */
export function onlyLocation(model: Model): string {
  const classic = classicStores(model);
  const stores = model.stores.filter((s) => !classic.has(s));
  if (stores.length === 1) return stores[0]!;
  throw new UsageError(
    stores.length === 0
      ? 'the configuration has no system storage location yet'
      : `the configuration has ${stores.length} storage locations (${stores.join(', ')})`,
    stores.length === 0
      ? 'declare one under persistence (e.g. persistence: { /persist: {} }), or name one with --store'
      : `name one with --store, e.g. --store ${stores[0]}`,
  );
}
