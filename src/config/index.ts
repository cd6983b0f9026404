// Loading and validating the configuration: the file → the Model, or a ConfigError that lists
// every problem found, each with its file, line and column.

import { ConfigError } from '../errors.js';
import type { Model } from '../model/types.js';
import { loadFile, parseText } from './load.js';
import { type LoadOptions, type Validation, validateLoaded } from './load-model.js';
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

export type { LoadOptions, Validation };

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
  return validateLoaded(loaded, file, options);
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
  return orThrow(validateLoaded(parseText(text, file, options.format), file, options));
}
