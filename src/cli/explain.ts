// Every error reaches the user as a KeepsakeError: a one-line message with the path, and a hint.
// An fs error that escaped the layer that knows its context still names its path and what
// the errno means; anything else becomes an InternalError. Stack traces are for --debug only.

import { describeErrno } from '../core/errno.js';
import { InternalError, KeepsakeError, SystemError } from '../errors.js';

const ERRNO = /\b(E[A-Z0-9]{2,})\b(?=[:)])/;

/** The errno of an error, its cause, or (for a message that quotes one) its text. */
function errnoOf(e: Error & { code?: unknown; cause?: unknown }): string | undefined {
  if (typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) return e.code;
  if (e.cause instanceof Error) return errnoOf(e.cause);
  return ERRNO.exec(e.message)?.[1];
}

/** What to do about an errno at a path, for the user running keepsake now. */
export function hintFor(code: string, path: string | undefined): string | undefined {
  const at = path ? ` '${path}'` : '';
  const asUser = process.geteuid?.() !== 0;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return asUser
        ? `you (uid ${process.geteuid?.()}) may not do this${path ? ` to${at}` : ''}: check its owner and mode and those of its parents (ls -ld${at}), or run as root`
        : `check the owner and mode of${at || ' the path'} and its parents (ls -ld${at}); a security module (SELinux, AppArmor) or an immutable flag (lsattr) may also refuse root`;
    case 'EROFS':
      return `the file system holding${at || ' it'} is mounted read-only: remount it read-write (mount -o remount,rw MOUNTPOINT), or use a path on a writable one`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `the file system holding${at || ' it'} is full: make room (df -h), then run this again`;
    case 'ENOENT':
      return `${path ? `'${path}' or one of its parents` : 'a path'} does not exist: check the path, or create it first`;
    case 'ENOTDIR':
      return `a component of${at || ' the path'} is not a directory: check what is there (ls -ld each parent)`;
    case 'EEXIST':
      return `something already exists at${at || ' the path'}: move it aside first`;
    case 'ELOOP':
      return `a symbolic link is in the way at${at || ' the path'}; keepsake never follows links there: replace it with a real directory or file`;
    case 'EBUSY':
      return `${path ? `'${path}'` : 'it'} is in use (a mount or an open file): find what holds it (findmnt, fuser -vm)`;
    case 'EIO':
      return 'the device reported an I/O error: check the disk (dmesg)';
    default:
      return undefined;
  }
}

export function explain(e: unknown): KeepsakeError {
  if (e instanceof KeepsakeError) return e;
  if (!(e instanceof Error)) return new InternalError(String(e), e);
  const err = e as NodeJS.ErrnoException;
  const code = errnoOf(err);
  if (code === undefined) return new InternalError(firstLine(err.message), e);
  const path = typeof err.path === 'string' ? err.path : undefined;
  // Node's own text ("EACCES: permission denied, open '/x'") is rewritten as keepsake's; a
  // message written by keepsake that quotes an errno keeps its words.
  const nodeText = err.message.startsWith(`${code}:`);
  const message = nodeText
    ? `cannot ${err.syscall ?? 'access'} '${path ?? '?'}': ${describeErrno(code)} (${code})`
    : firstLine(err.message);
  return new SystemError(err.syscall ?? 'unknown', code, path ?? '', message, hintFor(code, path));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
