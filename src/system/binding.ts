// Loads the optional native addon built by scripts/build-addon.mjs. Its absence is normal
// (no compiler at install time); any other load failure is reported, not hidden.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The raw addon: each function makes exactly one syscall and throws a BindingError. */
/** flock(2) operations, as <sys/file.h> defines them. */
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

export interface MountBinding {
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data: string | null,
  ): void;
  umount2(target: string, flags: number): void;
  flock(fd: number, operation: number): void;
  /**
   * Reads a directory and lstats its entries but directories, relative to the open directory
   * (see native/list-dir.c for the record layout). `id` is what readAhead gave for the path,
   * if it was handed over; below the first `rootLength` bytes of the path no component may be
   * a link. Absent from older builds.
   */
  listDir?(path: string | Buffer, id?: number, rootLength?: number): ArrayBuffer;
  /**
   * Hands over the directories a walk enters next, in order, for a second thread to list
   * meanwhile; returns the id of the first (the others follow), or -1. Absent from older builds.
   */
  readAhead?(paths: ReadonlyArray<string | Buffer>, rootLength?: number): number;
  /** Drops whatever was read ahead and not asked for. */
  readAheadEnd?(): void;
  /**
   * lstat(2) into `out` (st_mode, st_uid, st_gid, st_size, st_dev, st_ino); 0, or the negative
   * errno. Absent from older builds.
   */
  lstatInto?(path: string, out: Float64Array): number;
  /** readlink(2): the link's target, or the negative errno. Absent from older builds. */
  readLink?(path: string): string | number;
  /** Copies every extended attribute of one open file onto another. Absent from older builds. */
  copyXattrs?(from: number, to: number): number;
  /**
   * Carries out the executor's common steps, encoded in `steps`, until one fails; returns how
   * many were done (see native/steps.c and native-steps.ts). Absent from older builds.
   */
  runSteps?(steps: Buffer, euid: number, egid: number, umask: number): number;
  /** Closes the directories runSteps keeps open between calls. */
  resetSteps?(): void;
  /** SHA-256 of the parts one after another, in hex (native/digest.c). */
  sha256Hex?(parts: ReadonlyArray<string | Buffer>): string;
  /** That many bytes from getrandom(2) in hex, or undefined if the kernel gives none. */
  randomHex?(bytes: number): string | undefined;
  /**
   * Starts reading a whole file on a thread of its own (native/file-ahead.c); a ticket, or 0
   * when no thread could be made. Absent from older builds.
   */
  fileAhead?(path: string): number;
  /** Waits for the read of `ticket`, then its text; undefined when it failed, or the ticket is
   *  not the latest one, or was taken already. */
  fileAheadTake?(ticket: number): string | undefined;
  /** isatty(3) of a descriptor (native/runtime.c). Absent from older builds. */
  isTerminal?(fd: number): boolean;
  /** V8's SetFlagsFromString; false when this Node does not export it (native/runtime.c). */
  setV8Flags?(flags: string): boolean;
}

/** What the addon throws: shaped like Node's system errors; `errno` is the positive C value. */
export interface BindingError extends Error {
  code: string;
  errno: number;
  syscall: string;
  /** The target path (absent for flock). */
  path?: string;
  /** The mount source, when one was given. */
  source?: string;
  /** The descriptor, for flock. */
  fd?: number;
}

export type LoadedBinding = { binding: MountBinding } | { binding: null; reason: string };

export const ADDON_RELATIVE_PATH = 'build/Release/keepsake_mount.node';

/**
 * keepsake's own directory, found by walking up from this module so the same code works
 * compiled (dist/src/system) and bundled (dist/bundle). The compiler may copy
 * package.json into dist/, so the directory that also holds binding.gyp is preferred.
 */
export function findPackageRoot(
  start = path.dirname(fileURLToPath(import.meta.url)),
): string | null {
  let first: string | null = null;
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (isKeepsakeManifest(path.join(dir, 'package.json'))) {
      if (existsSync(path.join(dir, 'binding.gyp'))) return dir;
      first ??= dir;
    }
    if (path.dirname(dir) === dir) return first;
  }
}

function isKeepsakeManifest(file: string): boolean {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).name === 'keepsake';
  } catch {
    return false; // missing, unreadable or not JSON: not ours
  }
}

let cached: LoadedBinding | undefined;

export function loadBinding(): LoadedBinding {
  cached ??= load();
  return cached;
}

/**
 * The addon as the launcher already loaded it (bin/compile-cache.js: the same file, from the
 * package root that holds bin/), so that it is not looked for and resolved a second time
 * (about half a millisecond of every apply). Used only before anything has asked for the
 * binding, and only when it has what loadBinding requires; else loadBinding loads it itself.
 */
export function useLoadedAddon(exported: unknown, file: string): void {
  if (cached !== undefined) return;
  const checked = checkAddon(exported, file);
  if (checked.binding) cached = checked;
}

function load(): LoadedBinding {
  const root = findPackageRoot();
  if (!root) return { binding: null, reason: "keepsake's package.json was not found" };
  const file = path.join(root, ADDON_RELATIVE_PATH);
  const require = createRequire(import.meta.url);
  let exported: unknown;
  try {
    exported = require(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ENOENT') {
      return { binding: null, reason: `${ADDON_RELATIVE_PATH} is not built` };
    }
    return { binding: null, reason: `failed to load ${file}: ${(error as Error).message}` };
  }
  return checkAddon(exported, file);
}

function checkAddon(exported: unknown, file: string): LoadedBinding {
  const candidate = exported as Partial<MountBinding> | null;
  const missing = (['mount', 'umount2', 'flock'] as const).filter(
    (name) => typeof candidate?.[name] !== 'function',
  );
  if (missing.length > 0) {
    return { binding: null, reason: `failed to load ${file}: missing ${missing.join(', ')}` };
  }
  return { binding: candidate as MountBinding };
}
