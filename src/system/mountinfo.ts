// Reading the kernel's mount table; the parsing itself is pure and lives in core.

import { readFileSync } from 'node:fs';
import { parseMountInfo } from '../core/mountinfo.js';
import type { MountInfo } from '../model/observed.js';

export { parseMountInfo, unescapeMountPath } from '../core/mountinfo.js';

export function readMountInfo(): MountInfo[] {
  return parseMountInfo(readMountInfoText());
}

/** The mount table as the kernel writes it, for a reader that keeps its digest too. */
export function readMountInfoText(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8');
}
