// `keepsake ignore PATTERN`: the configuration file with a pattern appended to a location's (or
// a user's) `ignore` list, comments and layout kept, checked to validate before it is written.

import * as fs from 'node:fs';
import { type AddRequest, addEntryToConfigFile, addEntryToConfigText } from '../config/edit.js';
import { Accounts, loadConfigText } from '../config/index.js';
import { formatOf } from '../config/load.js';
import { optionPath } from '../config/reporter.js';
import { ignorePatternFor } from '../diff/ignore.js';
import { UsageError } from '../errors.js';
import type { Model } from '../model/types.js';
import { onlyLocation, storeUser } from './add.js';

export interface IgnoreOptions {
  configFile: string;
  root: string;
  pattern: string;
  /** The storage location's key; default: the configuration's only location. */
  store?: string;
  /** A pattern for this user's home. */
  user?: string;
}

export interface PreparedIgnore {
  request: AddRequest;
  /** Where it goes, e.g. `persistence."/persist".ignore`. */
  option: string;
  before: string;
  after: string;
}

/** The edit `keepsake ignore` makes, checked; writes nothing. */
export function prepareIgnore(opts: IgnoreOptions, current: Model): PreparedIgnore {
  const format = formatOf(opts.configFile);
  if (!format) {
    throw new UsageError(`${opts.configFile}: keepsake edits .yaml, .yml, .toml and .json files`);
  }
  const before = fs.readFileSync(opts.configFile, 'utf8');
  // A user's own storage directory (classic layout) names the user; its patterns are the user's.
  const { user, classic } = storeUser(opts, before, format);
  const home = user
    ? (current.entries.find((e) => e.home?.user === user)?.home?.path ??
      Accounts.load(opts.root).user(user)?.home)
    : undefined;
  if (user && home === undefined) {
    throw new UsageError(`user ${user} is not in ${opts.root}/etc/passwd`);
  }
  // A pattern belongs to a location that exists: a new location holding only a pattern would
  // declare a store nobody asked for (add may create one; ignore may not).
  if (opts.store !== undefined && !current.stores.includes(opts.store)) {
    throw new UsageError(
      `${opts.store} is not a storage location in ${opts.configFile}`,
      `name one of ${current.stores.join(', ') || '(none yet)'} with --store`,
    );
  }
  const location = opts.store ?? onlyLocation(current);
  const request: AddRequest = {
    kind: 'ignore',
    location,
    path: ignorePatternFor(opts.pattern, home),
    ...(user ? { user } : {}),
    ...(classic ? { classic } : {}),
  };
  const after = addEntryToConfigText(before, format, request);
  // The edited file must validate exactly as every command reads it.
  loadConfigText(after, opts.configFile, { root: opts.root, format });
  const segments = classic
    ? ['users', user!, 'ignore']
    : ['persistence', location, ...(user ? ['users', user] : []), 'ignore'];
  return { request, option: optionPath(segments), before, after };
}

/** Writes the prepared edit (atomically); false when the pattern was there already. */
export function writeIgnore(configFile: string, prepared: PreparedIgnore): boolean {
  if (prepared.after === prepared.before) return false;
  const written = addEntryToConfigFile(configFile, prepared.request);
  if (written.after !== prepared.after) {
    throw new UsageError(`${configFile} changed while keepsake was editing it`, 'run it again');
  }
  return true;
}
