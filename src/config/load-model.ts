// From a configuration file to the validated model. A JSON file, and YAML in the block style
// configurations are written in, are read without the YAML parser (see read-json.ts and
// read-yaml-block.ts); TOML, and what those readers leave alone, load their parsers only when
// they are needed, so that a boot pays for no parser it does not use.

import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Diagnostic, Model } from '../model/types.js';
import { Accounts, persistedAccounts, StoredAccountsError, storedCopyOf } from './accounts.js';
import { checkNesting, checkSize } from './limits.js';
import { normalise } from './normalize.js';
import type { ConfigFormat, LoadedConfig } from './raw.js';
import { readJsonText } from './read-json.js';
import { readYamlBlock } from './read-yaml-block.js';

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

/** The model and every diagnostic of a configuration read into its raw tree. */
export function validateLoaded(
  loaded: LoadedConfig,
  file: string,
  options: LoadOptions,
): Validation {
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

/** The raw tree of configuration text, loading only the parser its format needs. */
async function readText(text: string, file: string, format: ConfigFormat): Promise<LoadedConfig> {
  // As parseText (load.ts) does, in the same order, so that the messages are the same.
  checkSize(file, Buffer.byteLength(text, 'utf8'));
  checkNesting(file, text);
  // A byte order mark is not content.
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const loaded =
    format === 'json'
      ? readJsonText(src, file)
      : format === 'yaml'
        ? readYamlBlock(src, file)
        : undefined;
  if (loaded !== undefined) return loaded;
  if (format === 'toml') return (await import('./read-toml.js')).parseTomlText(src, file);
  return (await import('./read-yaml.js')).parseYamlText(src, file, format);
}

/**
 * The model of configuration text already read from `file` (see readConfigFile). Throws
 * ConfigError, with every problem, as loadConfig does.
 */
export async function loadModelText(
  text: string,
  file: string,
  format: ConfigFormat,
  options: LoadOptions,
): Promise<Model> {
  const v = validateLoaded(await readText(text, file, format), file, options);
  if (v.model === undefined) throw new ConfigError(v.diagnostics);
  return v.model;
}
