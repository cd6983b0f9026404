// Loading and validating the configuration: the file → the Model, or a ConfigError that lists
// every problem found, each with its file, line and column.

import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Diagnostic, Model } from '../model/types.js';
import { Accounts, persistedAccounts, StoredAccountsError, storedCopyOf } from './accounts.js';
import { loadFile, parseText } from './load.js';
import { normalise } from './normalize.js';
import type { ConfigFormat, LoadedConfig } from './raw.js';

export { isInside } from '../core/paths.js';
export type { GroupAccount, UserAccount } from './accounts.js';
export {
  Accounts,
  parseGroup,
  parsePasswd,
  storedAccountFiles,
} from './accounts.js';
export { formatDiagnostic } from './diagnostic.js';
export { formatOf, loadFile, parseText } from './load.js';
export { formatMode, MODE_FORMS, parseMode } from './mode.js';
export { joinPath, normaliseAbsolute, normaliseRelative } from './paths.js';
export type { ConfigFormat, Position, RawNode } from './raw.js';
export { optionPath } from './reporter.js';
export { RULES } from './rules.js';
export type { OptionSpec, SectionId, SectionSpec, ValueType } from './schema.js';
export { METHODS, SCHEMA, section } from './schema.js';

export interface LoadOptions {
  /** Where the system being set up is mounted; users and groups come from its /etc. */
  root: string;
  /** `--verbose`. */
  verbose?: boolean;
}

export interface Validation {
  /** Absent when the configuration has errors. */
  model: Model | undefined;
  /** Every error and warning, in file order. */
  diagnostics: Diagnostic[];
}

function run(loaded: LoadedConfig, file: string, options: LoadOptions): Validation {
  const root = resolve(options.root);
  const rootAccounts = Accounts.load(root);
  const normaliseOptions = { configFile: resolve(file), verbose: options.verbose === true };
  const first = normalise(loaded, rootAccounts, normaliseOptions);
  // Persisted account files: names resolve from the copies that will be in place, so a user
  // added after the image (or the snapshot the root rolls back to) was made is known.
  let accounts: Accounts | undefined;
  try {
    accounts = persistedAccounts(root, first.drafts, rootAccounts);
  } catch (error) {
    if (!(error instanceof StoredAccountsError)) throw error;
    const at = first.drafts.find((d) => storedCopyOf(error.file, [d]) !== undefined);
    const diagnostic: Diagnostic = {
      severity: 'error',
      code: 'stored-accounts-unsafe',
      message: error.message,
      hint: `replace ${error.path} with the file itself (keepsake follows no link in a store)`,
      ...(at ? { source: at.source } : {}),
    };
    return { model: undefined, diagnostics: [diagnostic] };
  }
  const v = accounts ? normalise(loaded, accounts, normaliseOptions) : first;
  return { model: v.model, diagnostics: v.diagnostics };
}

function orThrow(v: Validation): Model {
  if (v.model === undefined) throw new ConfigError(v.diagnostics);
  return v.model;
}

/** Validate a configuration file without throwing: the model when valid, and every problem. */
export function validateConfig(file: string, options: LoadOptions): Validation {
  let loaded: LoadedConfig;
  try {
    loaded = loadFile(file);
  } catch (error) {
    if (error instanceof ConfigError) return { model: undefined, diagnostics: error.diagnostics };
    throw error;
  }
  return run(loaded, file, options);
}

/**
 * Load, validate and normalise a configuration file. Throws ConfigError listing every
 * problem (errors and warnings) when the configuration has errors.
 */
export function loadConfig(file: string, options: LoadOptions): Model {
  return orThrow(validateConfig(file, options));
}

/** As loadConfig, for configuration text that is not in a file (`file` names it in messages). */
export function loadConfigText(
  text: string,
  file: string,
  options: LoadOptions & { format?: ConfigFormat },
): Model {
  return orThrow(run(parseText(text, file, options.format), file, options));
}
