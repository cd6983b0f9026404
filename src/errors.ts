// The closed set of errors keepsake raises. Each has a code, a message and a hint; the exit
// code for each is decided in one place, `exitCodeFor`, and only the entry file exits.

import type { Diagnostic } from './model/types.js';
import type { Problem } from './plan/types.js';

export abstract class KeepsakeError extends Error {
  abstract readonly code: string;
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** The configuration is invalid; nothing was changed. */
export class ConfigError extends KeepsakeError {
  readonly code = 'config-invalid';
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[], message?: string) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(message ?? `configuration has ${errors.length} error${errors.length === 1 ? '' : 's'}`);
    this.diagnostics = diagnostics;
  }
}

/** The command line is wrong. */
export class UsageError extends KeepsakeError {
  readonly code = 'usage';
}

/** The plan found problems (data in the way, planted symlinks...); nothing was changed. */
export class RefusedError extends KeepsakeError {
  readonly code = 'refused';
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(
      `refusing to apply: ${problems.length} problem${problems.length === 1 ? '' : 's'} found, nothing was changed`,
      'resolve each problem listed above, then run `keepsake apply` again',
    );
    this.problems = problems;
  }
}

/** An error about one path, which it names. */
export abstract class PathError extends KeepsakeError {
  readonly path: string;
  constructor(path: string, message: string, hint?: string) {
    super(message, hint);
    this.path = path;
  }
}

/** A path is not what keepsake verified a moment ago (a symlink was planted, a race). */
export class UnsafePathError extends PathError {
  readonly code = 'unsafe-path';
}

/** A system call failed while acting; carries the failing operation. */
export class SystemError extends KeepsakeError {
  readonly code = 'system';
  readonly syscall: string;
  readonly errno: string;
  readonly path: string;
  constructor(syscall: string, errno: string, path: string, message: string, hint?: string) {
    super(message, hint);
    this.syscall = syscall;
    this.errno = errno;
    this.path = path;
  }
}

/**
 * The configuration file cannot be edited as asked (`keepsake add`, `keepsake ignore`): it does
 * not parse, its shape leaves no place for the entry, or the request is not valid. Nothing was
 * written.
 */
export class ConfigEditError extends KeepsakeError {
  readonly code = 'config-edit';
  constructor(message: string, hint = 'add the entry to the configuration file by hand') {
    super(message, hint);
  }
}

/**
 * Exit codes: 0 done, 1 done with problems (or drift, or a failure while acting), 2 refused
 * with nothing changed: bad usage, an invalid configuration, a plan apply refuses, the lock
 * held by another keepsake. The table is in docs/cli.md.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) return 2;
  if (error instanceof ConfigEditError || error instanceof RefusedError) return 2;
  if (error instanceof LockedError) return 2;
  return 1;
}

/** A salvage cannot be made where it would last (its store is not persistent). */
export class SalvageError extends KeepsakeError {
  readonly code = 'salvage';
}

/** A destination appeared after it was checked; nothing was overwritten. */
export class TargetAppearedError extends KeepsakeError {
  readonly code = 'target-appeared';
}

/** A file to replace changed after it was checked (something writes it); nothing was replaced. */
export class TargetChangedError extends KeepsakeError {
  readonly code = 'target-changed';
}

/** A restore that could not bring every file back: each one not restored is named. */
export class RestoreIncompleteError extends KeepsakeError {
  readonly code = 'restore-incomplete';
  readonly notRestored: Array<{ path: string; reason: string }>;
  constructor(total: number, notRestored: Array<{ path: string; reason: string }>) {
    super(
      `${notRestored.length} of ${total} file${total === 1 ? '' : 's'} not restored:\n${notRestored
        .map((n) => `  not restored: ${n.path} (${n.reason})`)
        .join('\n')}`,
      'the files named were left as they are (nothing half-written); fix the cause and run the restore again: what is restored already is recognised',
    );
    this.notRestored = notRestored;
  }
}

/** Another keepsake is working on the same root. */
export class LockedError extends KeepsakeError {
  readonly code = 'locked';
  readonly holder: string;
  constructor(root: string, holder: string) {
    super(
      `another keepsake is working on ${root}: ${holder}`,
      'wait for it to finish, then run this again',
    );
    this.holder = holder;
  }
}

/** A user's home files cannot be applied (their store, their home, the user's own run). */
export class HomeError extends KeepsakeError {
  readonly code = 'home';
}

/**
 * An error keepsake did not foresee (a bug, or a case no check covers). The message is still
 * one line; the stack trace is printed only with --debug.
 */
export class InternalError extends KeepsakeError {
  readonly code = 'internal';
  readonly original: unknown;
  constructor(message: string, original: unknown) {
    super(
      message,
      'run the command again with --debug to see where it came from; if it looks like a fault in keepsake, report it with that output',
    );
    this.original = original;
  }
}
