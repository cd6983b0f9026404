import type { EphemeralArea } from './ephemeral.js';

// What `keepsake diff` reports: undeclared paths rolled up by directory, escaped state, and
// what the scan could not look at. Plain data; `diff --json` prints it.

export type NodeKind = 'directory' | 'file' | 'symlink' | 'other';

export interface DiffNode {
  /** The path as the booted system sees it; for a path that is not UTF-8, its escaped form. */
  path: string;
  /** The path's bytes, base64, when they are not UTF-8. */
  pathBase64?: string;
  kind: NodeKind;
  /** Files, links and other non-directories, itself included for a non-directory. */
  files: number;
  /** Undeclared directories below it (those holding declared paths are made again at boot). */
  directories: number;
  bytes: number;
  /** Entries modified since boot. */
  changed: number;
  /** Newest modification time of what it holds (ms since the epoch; 0 when unknown). */
  newestMs: number;
  /** Nothing declared, mounted or unreadable lies inside: `keepsake add PATH` keeps all of it. */
  whole: boolean;
  /** The ignore rule that matched (only with `--all`). */
  ignored?: string;
  /** The directory could not be listed; its contents are not counted. */
  unreadable?: string;
  /** Files counted here but not listed (beyond the 1,000 largest of one directory). */
  unlisted?: { files: number; bytes: number };
  /** Kept down to the requested depth; absent for whole directories (rolled up). Not
   *  printed. A directory's own files are not among them, but in `listed`. */
  children?: DiffNode[];
  /** The files a directory lists one by one, packed (file-nodes.ts); not printed. */
  listed?: FileNodes;
}

/**
 * The files of one directory that the report lists one by one, packed: each is made into its
 * DiffNode only as the report is written (file-nodes.ts). Entry k of each field is file k's,
 * in the order the walk listed them.
 */
export interface FileNodes {
  /** The names, joined by slashes (no name holds one); lossy where `bytes` has the name. */
  names: string;
  /** Size, then modification time (ms), of each. */
  numbers: Float64Array;
  /** The kind of each (FILE, SYMLINK or OTHER), with CHANGED added when modified since boot. */
  kinds: Uint8Array;
  /** The bytes of names that are not UTF-8; absent when there are none. */
  bytes?: (Buffer | undefined)[];
  /** The origin of the ignore rule that matched each (with `--all`); absent when none did. */
  ignored?: (string | undefined)[];
}

export type EscapeReason =
  /** A directory or file that should be bind-mounted from the store is not, and holds data. */
  | 'not-mounted'
  /** A link into the store was replaced by a regular file or directory. */
  | 'link-replaced'
  /** keepsake has not set the entry up in this boot (no apply since it was declared). */
  | 'not-applied';

export interface EscapedState {
  target: string;
  store: string;
  kind: 'directory' | 'file';
  reason: EscapeReason;
  /** What is at the target now. */
  found: NodeKind;
  files: number;
  bytes: number;
  changed: number;
  fix: string;
}

export interface SkippedMount {
  path: string;
  fsType: string;
}

export interface ScanError {
  path: string;
  reason: string;
}

export interface DiffReport {
  /** Boot time used for the changed-since-boot marks (ms since the epoch). */
  bootMs: number;
  /** One tree per scanned path. */
  roots: DiffNode[];
  escaped: EscapedState[];
  /** Other file systems met inside the scanned paths and not entered. */
  skipped: SkippedMount[];
  errors: ScanError[];
  /** What the ignore rules left out (counted only with `--all`). */
  ignored: { files: number; bytes: number };
  /** How directories were read: the addon, or Node's readdir and lstat. */
  backend: 'native' | 'node';
  /** What the next boot wipes, on this system. */
  ephemeral: EphemeralArea[];
  /** Scanned paths (given by name) that the next boot keeps: nothing in them is lost. */
  persistent: { path: string; fsType: string }[];
}
