// The outcome of the last real apply of this boot, failed ones included:
// `<root>/run/keepsake/last-apply.json`. applied.json says what is live and is written only
// by an apply that set something up; a fleet also needs to see the apply that failed, or that
// had nothing to do. It lives in /run, so it vanishes with the boot, as the mounts do.

import fs from 'node:fs';
import { hostPath } from '../core/paths.js';
import { readApplied } from '../generations/store.js';
import { lstatOrNull, mkdirSafe, writeFileAtomicSafe } from '../system/safe-fs.js';

export const LAST_APPLY = '/run/keepsake/last-apply.json';

export interface LastApply {
  version: 1;
  /** Exit status 0: every entry in place, nothing skipped, nothing failed. */
  ok: boolean;
  /** When it ended, ISO 8601. */
  finishedAt: string;
  /** From the start of the command to its end, lock wait included. */
  durationSeconds: number;
}

/** Write the record (root's, 0644, replaced atomically; a link in its place is refused). */
export function recordLastApply(root: string, record: Omit<LastApply, 'version'>): void {
  const dir = hostPath(root, '/run/keepsake');
  // keepsake's own bookkeeping directory, private as apply makes it.
  if (!lstatOrNull(dir)) mkdirSafe(dir, 0, 0, 0o700);
  writeFileAtomicSafe(
    `${dir}/last-apply.json`,
    `${JSON.stringify({ version: 1, ...record })}\n`,
    0o644,
  );
}

/** The last apply's outcome; an apply that left only applied.json counts as a success. */
export function readLastApply(root: string): LastApply | undefined {
  const r = readRecord(hostPath(root, LAST_APPLY));
  if (r) return r;
  const applied = readApplied(root);
  if (!applied) return undefined;
  return {
    version: 1,
    ok: true,
    finishedAt: applied.appliedAt,
    durationSeconds: applied.durationSeconds ?? Number.NaN,
  };
}

function readRecord(path: string): LastApply | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    // Believed only when root alone could have written it.
    if (!st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0) return undefined;
    const r = JSON.parse(fs.readFileSync(fd, 'utf8')) as LastApply;
    const good =
      r.version === 1 && typeof r.ok === 'boolean' && !Number.isNaN(Date.parse(r.finishedAt));
    return good ? r : undefined;
  } catch {
    return undefined; // none yet, or not a record: applied.json is the fallback
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
