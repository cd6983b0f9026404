// Store data that no entry refers to. The scanner (scan.ts) turns each store into a plain
// tree of what it found; the pure `findOrphans` (find.ts) decides what is orphaned. Paths are
// system paths (as in the configuration, never prefixed with `--root`).

import type { NodeKind } from '../system/file-kind.js';

export type { NodeKind };

/** Totals of a tree (du-like: lstat sizes, links not followed, mounts not entered). */
export interface TreeTotals {
  /** Everything that is not a directory: regular files, symbolic links, others. */
  files: number;
  directories: number;
  /** Sum of the lstat sizes of everything that is not a directory. */
  bytes: number;
  /** Newest modification time found, in ms since the epoch (0 when nothing was found). */
  newestMs: number;
  /** Mount points found (and not entered), as system paths. */
  mounts: string[];
  /** What could not be read, as `path: reason`. */
  errors: string[];
  /** Paths owned by someone other than root (a few, for messages), with their owner. */
  owned?: Array<{ path: string; uid: number }>;
}

/** One path found in a store. */
export interface ListedNode {
  name: string;
  kind: NodeKind;
  uid: number;
  /** Permission bits. */
  mode: number;
  /** lstat size of the node itself. */
  size: number;
  mtimeMs: number;
  /** Another file system (or a bind mount) is mounted here; never entered. */
  mount?: boolean;
  /** A directory the scan entered: what it holds. */
  children?: ListedNode[];
  /** A directory the scan summed without listing: the totals of everything below it. */
  below?: TreeTotals;
}

export interface StoreScan {
  /** The storage location's path, e.g. `/persist`. */
  store: string;
  state: 'ok' | 'missing' | 'symlink' | 'not-directory';
  /** The store directory itself (named ''); present when `state` is `ok`. */
  node?: ListedNode;
  /** Directories the scan would have entered but did not, with the reason. */
  skipped: Array<{ path: string; reason: string }>;
}

export interface StoreListing {
  stores: StoreScan[];
}

export type BlockerCode =
  | 'store-not-root'
  | 'parent-not-root'
  | 'mount-point'
  | 'holds-mount'
  | 'unreadable'
  | 'user-owned'
  | 'in-use';

/** Why an orphan may not be pruned. */
export interface Blocker {
  code: BlockerCode;
  /** The path the reason is about (the store, a parent, a mount point). */
  path: string;
  message: string;
}

export interface Orphan {
  /** The storage location it lies in. */
  store: string;
  path: string;
  kind: NodeKind;
  files: number;
  directories: number;
  bytes: number;
  /** Newest modification time inside it, ISO 8601. */
  newest: string;
  prunable: boolean;
  /** Why it is not prunable (the blockers' messages); absent when prunable. */
  reason?: string;
  blockers: Blocker[];
  /** Mount points at or inside it, which pruning never crosses. */
  mounts: string[];
}

/**
 * One item of the protected set (protected.ts). `whole`: the path, everything in it, and the
 * way to it are referenced. `user-owned`: inside this user's storage directory, whatever a
 * user (any uid but 0) owns is not root's to delete.
 */
export interface Protection {
  /** A system path. */
  path: string;
  /** Why, as a clause: `it is the configuration file in use`. */
  why: string;
  scope: 'whole' | 'user-owned';
}

/** A process that has a path open (a file, its working directory or its root). */
export interface Opener {
  /** System path it has open. */
  path: string;
  pid: number;
  command: string;
}
