// `keepsake salvage restore`: copies salvaged files back, with their owner, mode, times and
// extended attributes. Every check comes first (restore-plan.ts). Each file is then copied
// under a temporary name beside its destination, `.<name>.keepsake-restore`, made durable,
// and put in place: linked as a new name (what appeared there meanwhile is never
// overwritten), or, with `--force`, renamed over the file checked, which is kept under a
// second name. A restore cut short (a kill, a power loss) therefore leaves each destination
// as it was or whole, never torn; a temporary name it left is removed by the next restore
// once it is shown to be a copy of the salvaged file, and what is restored already is
// recognised, so that the next run finishes. A file that cannot be restored (no room, a
// writer) is named and left as it was; the others still come back. The salvage itself is
// only read.

import * as posix from 'node:path/posix';
import { describeErrno } from '../core/errno.js';
import { hostPath } from '../core/paths.js';
import {
  KeepsakeError,
  RestoreIncompleteError,
  TargetAppearedError,
  UnsafePathError,
} from '../errors.js';
import { copyFileNew, copyLinkNew } from '../system/copy-file.js';
import { placeNew, placeReplacing, removeLeftover } from '../system/place-file.js';
import { lstatOrNull, mkdirSafe } from '../system/safe-fs.js';
import { FILES_DIR, salvageDir } from './record.js';
import { holdsCopyOf, planRestore, type RestoreItem, type RestoreRequest } from './restore-plan.js';
import { step } from './steps.js';

export { planRestore, type RestoreItem, type RestoreRequest } from './restore-plan.js';

/** The directories on the way to `dest`, made as the salvage recorded them where it can. */
function parents(req: RestoreRequest, item: RestoreItem): void {
  const filesHost = hostPath(req.root, `${salvageDir(req.store)}/${item.boot}/${FILES_DIR}`);
  const missing: string[] = [];
  for (let d = posix.dirname(item.dest); d !== '/'; d = posix.dirname(d)) {
    if (lstatOrNull(hostPath(req.root, d)) !== null) break;
    missing.unshift(d);
  }
  for (const d of missing) {
    // Its salvaged copy's owner and mode, when the directory was salvaged on the way to a file.
    const st = req.to === undefined ? lstatOrNull(`${filesHost}${d}`) : null;
    const own = st?.isDirectory() ? st : undefined;
    mkdirSafe(hostPath(req.root, d), own?.uid ?? 0, own?.gid ?? 0, own ? own.mode & 0o7777 : 0o755);
  }
  if (missing.length > 0) step('restore-parents');
}

/** `20261206T083000Z`: when a replaced file was set aside. */
function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function restoreOne(req: RestoreRequest, item: RestoreItem, when: string): void {
  const destHost = hostPath(req.root, item.dest);
  const dir = posix.dirname(destHost);
  const name = posix.basename(destHost);
  const temp = `.${name.slice(0, 200)}.keepsake-restore`;
  if (!item.already) parents(req, item);
  // Invariant: a temporary name left by a restore cut short goes only when it holds nothing
  // of its own: it is the destination itself (cut short between link and unlink), or a copy,
  // whole or partial, of the salvaged file, which is still in the salvage.
  const gone = removeLeftover(dir, temp, name, (proc, st) =>
    holdsCopyOf(item.source, proc, st, item.file.type, true),
  );
  if (!gone)
    throw new TargetAppearedError(
      `${posix.dirname(item.dest)}/${temp} is in the way, and is not a copy keepsake made; move it aside`,
    );
  if (item.already) {
    item.note = ' (there already)';
    return;
  }
  // The copy is durable before it takes the destination's name.
  if (item.file.type === 'link') copyLinkNew(item.source, dir, temp);
  else copyFileNew(item.source, dir, temp, { sync: true, label: item.dest });
  step('restore-copied');
  if (item.seen !== undefined) {
    const kept = placeReplacing(
      dir,
      temp,
      name,
      item.seen,
      { prefix: '.keepsake-replaced-', stamp: when },
      () => step('restore-kept'),
    );
    item.note = ` (replaced; the earlier one is kept as ${posix.dirname(item.dest)}/${kept})`;
  } else {
    placeNew(dir, temp, name, () => step('restore-linked'));
  }
  step('restore-placed');
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `the file system is full (${code})`;
  if (code === 'EROFS') return 'the file system is read-only (EROFS)';
  if (error instanceof KeepsakeError) return error.message;
  if (typeof code === 'string') return `${describeErrno(code)} (${code})`;
  return String(error);
}

export function restore(req: RestoreRequest, onItem?: (item: RestoreItem) => void): RestoreItem[] {
  const items = planRestore(req);
  step('restore-planned');
  const when = stamp();
  const failed: Array<{ path: string; reason: string }> = [];
  for (const item of items) {
    try {
      restoreOne(req, item, when);
    } catch (error) {
      // A link planted since the checks: nothing more is written anywhere.
      if (error instanceof UnsafePathError) throw error;
      failed.push({ path: item.dest, reason: reasonOf(error) });
      continue;
    }
    onItem?.(item);
  }
  if (failed.length > 0) throw new RestoreIncompleteError(items.length, failed);
  return items;
}
