// Reading a configuration file into a raw tree in which every key and value keeps the line
// and column it was written at: picks the format, then hands the text to its reader.

import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '../errors.js';
import { fileDiagnostic } from './file-errors.js';
import { checkNesting, checkSize, LIMITS } from './limits.js';
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
    text = readBounded(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
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
        `cannot read the configuration file: ${unmounted}: the store that holds the configuration is not mounted`,
        'mount the store before keepsake runs (keepsake.service waits for it through RequiresMountsFor=): check its fstab line or mount unit, and this boot’s journal',
      );
    throw fileError(
      file,
      'unreadable',
      `cannot read the configuration file: ${reason}`,
      code === 'ENOENT'
        ? 'create it, or point --config at an existing file'
        : 'check the path and its permissions',
    );
  }
  return parseText(text, file, format);
}

/**
 * The file's text, read up to one byte past the size limit: a huge file, or a device that
 * never ends, is refused without being read whole.
 */
function readBounded(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(LIMITS.bytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) break;
    }
    checkSize(file, length);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
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
