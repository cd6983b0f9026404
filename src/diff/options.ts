// The values `keepsake diff` takes on its command line, checked. Pure.

import { UsageError } from '../errors.js';
import type { SortKey } from './format.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512`, `10k`, `1.5M`, `2GiB` → bytes (binary units). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) {
    throw new UsageError(
      `--min-size ${JSON.stringify(text)} is not a size`,
      'write a number of bytes, or one with a unit: 512, 64k, 10M, 1.5G',
    );
  }
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

export function parseDepth(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(
      `--depth ${JSON.stringify(text)} is not a number of levels`,
      'e.g. --depth 3',
    );
  }
  return n;
}

export function parseSort(text: string): SortKey {
  if (text === 'size' || text === 'path' || text === 'mtime') return text;
  throw new UsageError(
    `--sort ${JSON.stringify(text)} is not a sort order`,
    'valid choices: size (largest first), path, mtime (newest first)',
  );
}
