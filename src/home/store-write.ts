// A write into the user's home store (content, generation records) that the file system
// refused: said as the store's problem, with the store named and what to do, never as a
// problem of the declared source that was being stored.

import { describeErrno } from '../core/errno.js';
import { HomeError } from '../errors.js';
import { AtomicWriteError } from '../system/atomic-write.js';

/** `thrown` (Node's error, or replaceFile's) as a HomeError naming `path` in `store`. */
export function storeWriteError(thrown: unknown, store: string, path: string): unknown {
  const e = (thrown instanceof AtomicWriteError ? thrown.error : thrown) as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return thrown;
  const hint =
    e.code === 'ENOSPC' || e.code === 'EDQUOT'
      ? `make room on the file system holding ${store} (df -h ${store}), then apply again`
      : e.code === 'EROFS'
        ? `remount the file system holding ${store} read-write, or set homeStore to a writable directory`
        : undefined;
  return new HomeError(
    `cannot write ${path} in the home store ${store}: ${describeErrno(e.code)} (${e.code})`,
    hint,
  );
}
