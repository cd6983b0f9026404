// Reading a configuration file's text: picks the format from the name, reads the file up to
// the size limit, and turns every way that can fail into a message. No parser is loaded here.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '../errors.js';
import { fileDiagnostic } from './file-errors.js';
import { checkSize, LIMITS } from './limits.js';
import { unmountedStore } from './missing-store.js';
import type { ConfigFormat } from './raw.js';

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

/** A configuration file's format and text. Throws ConfigError when it cannot be read. */
export function readConfigFile(file: string): { format: ConfigFormat; text: string } {
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
  return { format, text };
}

/**
 * The file's text, read up to one byte past the size limit: a huge file, or a device that
 * never ends, is refused without being read whole.
 */
function readBounded(file: string): string {
  const fd = openSync(file, 'r');
  try {
    return readBoundedFd(file, fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The text of a configuration that is a regular file, read as readConfigFile reads it; undefined
 * for anything else, which is left unread: a pipe or a FIFO can be read only once, and the
 * apply that plans must be the one that reads it. Throws as readConfigFile does.
 */
export function readRegularConfigText(file: string): string | undefined {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return fstatSync(fd).isFile() ? readBoundedFd(file, fd) : undefined;
  } finally {
    closeSync(fd);
  }
}

function readBoundedFd(file: string, fd: number): string {
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
}
