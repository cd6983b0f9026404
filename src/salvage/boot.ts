// Which boot this is: its id (/proc/sys/kernel/random/boot_id) and its start (`btime` in
// /proc/stat), both read under `--root` first, so that a test system can name its own boots,
// and from this machine otherwise. A salvage directory is named `<start>-<id>`: the start in
// UTC, so that names sort by age.

import { readFileSync } from 'node:fs';
import { hostPath } from '../core/paths.js';
import { bootTimeUnder } from '../diff/boot.js';
import { UsageError } from '../errors.js';

export interface BootIdentity {
  id: string;
  /** When it started, ms since the epoch. */
  startMs: number;
  /** `20261206T083000Z-<id>`. */
  name: string;
}

const BOOT_ID = '/proc/sys/kernel/random/boot_id';
const NAME = /^\d{8}T\d{6}Z-[0-9a-f-]{1,64}$/;

/** Whether a directory name is a salvage's (anything else in the salvage directory is not). */
export function isBootName(name: string): boolean {
  return NAME.test(name);
}

export function bootName(startMs: number, id: string): string {
  const t = new Date(startMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${t}-${id}`;
}

function readUnder(root: string, path: string): string | undefined {
  for (const p of root === '/' ? [path] : [hostPath(root, path), path]) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      // next
    }
  }
  return undefined;
}

export function readBootIdentity(root: string): BootIdentity {
  const id = readUnder(root, BOOT_ID)?.trim().toLowerCase();
  if (id === undefined || !/^[0-9a-f-]{1,64}$/.test(id)) {
    throw new UsageError(
      `cannot tell which boot this is: ${BOOT_ID} is missing or not a boot id`,
      'salvage needs /proc mounted',
    );
  }
  const startMs = bootTimeUnder(root);
  return { id, startMs, name: bootName(startMs, id) };
}
