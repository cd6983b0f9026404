// Reading the kernel's mount table; the parsing itself is pure and lives in core.

import { readFileSync } from 'node:fs';
import { parseMountInfo } from '../core/mountinfo.js';
import type { MountInfo } from '../model/observed.js';
import { loadBinding } from './binding.js';

export { parseMountInfo, unescapeMountPath } from '../core/mountinfo.js';

export function readMountInfo(): MountInfo[] {
  return parseMountInfo(readMountInfoText());
}

const MOUNTINFO = '/proc/self/mountinfo';

/** The mount table as the kernel writes it, for a reader that keeps its digest too. */
export function readMountInfoText(): string {
  return readFileSync(MOUNTINFO, 'utf8');
}

/**
 * The mount table as readMountInfoText reads it, but read from now on by a thread of the
 * addon's while the caller goes on (the kernel takes milliseconds to write out a large table):
 * the function returned waits for that read and gives its text. Once: called again, it reads
 * the table anew. Where the addon cannot, or its read failed, it reads the table when called.
 *
 * Invariant (for the caller): the text is the table as it was at some moment between the two
 * calls, so nothing that mounts or unmounts may run between them; and it goes to one
 * observation only, never to one made after anything acted.
 */
export function readMountInfoAhead(): () => string {
  const binding = loadBinding().binding;
  let ticket = binding?.fileAhead?.(MOUNTINFO) ?? 0;
  return () => {
    const text = ticket > 0 ? binding?.fileAheadTake?.(ticket) : undefined;
    ticket = 0;
    return text ?? readMountInfoText();
  };
}
