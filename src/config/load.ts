// Reading a configuration file into a raw tree in which every key and value keeps the line
// and column it was written at: picks the format, then hands the text to its reader.

import { checkNesting, checkSize } from './limits.js';
import { formatOf, readConfigFile } from './load-text.js';
import type { ConfigFormat, LoadedConfig } from './raw.js';
import { parseTomlText } from './read-toml.js';
import { parseYamlText } from './read-yaml.js';

export { formatOf };

/** Read and parse a configuration file. Throws ConfigError on unreadable files or bad syntax. */
export function loadFile(file: string): LoadedConfig {
  const { format, text } = readConfigFile(file);
  return parseText(text, file, format);
}

/** Parse configuration text; `format` defaults to the one `file`'s extension implies. */
export function parseText(text: string, file: string, format?: ConfigFormat): LoadedConfig {
  const fmt = format ?? formatOf(file) ?? 'yaml';
  checkSize(file, Buffer.byteLength(text, 'utf8'));
  checkNesting(file, text);
  // A byte order mark is not content.
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (fmt === 'toml') return parseTomlText(src, file);
  return parseYamlText(src, file, fmt);
}
