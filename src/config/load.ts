// Reading a configuration file into a raw tree in which every key and value keeps the line
// and column it was written at: picks the format, then hands the text to its reader.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '../errors.js';
import { fileDiagnostic } from './file-errors.js';
import { unmountedStore } from './missing-store.js';
import type { ConfigFormat, LoadedConfig } from './raw.js';
import { parseTomlText } from './read-toml.js';
import { parseYamlText } from './read-yaml.js';

const EXTENSIONS: Record<string, ConfigFormat> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.toml': 'toml',
  '.json': 'json',
};

/** The format a file name implies, or undefined for an unsupported extension. */
export function formatOf(file: string): ConfigFormat | undefined {
  return EXTENSIONS[extname(file).toLowerCase()];
}

function fileError(file: string, code: string, message: string, hint: string) {
  return new ConfigError([fileDiagnostic(file, code, message, hint)]);
}

/** Read and parse a configuration file. Throws ConfigError on unreadable files or bad syntax. */
export function loadFile(file: string): LoadedConfig {
  const format = formatOf(file);
  if (format === undefined) {
    const ext = extname(file);
    throw fileError(
      file,
      'unknown-format',
      `${file}: cannot tell the configuration format from the extension ${ext === '' ? '(none)' : `"${ext}"`}; expected .yaml, .yml, .toml or .json`,
      'rename the file so that it ends in .yaml, .yml, .toml or .json',
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (error as Error).message;
    const unmounted = code === 'ENOENT' ? unmountedStore(file) : undefined;
    if (unmounted !== undefined)
      throw fileError(
        file,
        'store-not-mounted',
        `${file}: cannot read the configuration file: ${unmounted}: the store that holds the configuration is not mounted`,
        'mount the store before keepsake runs (keepsake.service waits for it through RequiresMountsFor=): check its fstab line or mount unit, and this boot’s journal',
      );
    throw fileError(
      file,
      'unreadable',
      `${file}: cannot read the configuration file: ${reason}`,
      code === 'ENOENT'
        ? 'create it, or point --config at an existing file'
        : 'check the path and its permissions',
    );
  }
  return parseText(text, file, format);
}

/** Parse configuration text; `format` defaults to the one `file`'s extension implies. */
export function parseText(text: string, file: string, format?: ConfigFormat): LoadedConfig {
  const fmt = format ?? formatOf(file) ?? 'yaml';
  // A byte order mark is not content.
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (fmt === 'toml') return parseTomlText(src, file);
  return parseYamlText(src, file, fmt);
}
