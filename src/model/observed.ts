// What keepsake saw on the live system: plain data, produced by the observer and read by the
// pure planner. Paths are host paths (with the `--root` prefix), as in the mount table.

export type PathType = 'directory' | 'file' | 'symlink' | 'other' | 'missing';

export interface PathState {
  type: PathType;
  uid: number;
  gid: number;
  mode: number; // permission bits only
  size: number;
  dev: number;
  ino: number;
  /** For symlinks: the link's text. */
  linkTarget?: string;
  /** For directories, when already known (planned ones are empty); else ask `isEmpty`. */
  empty?: boolean;
}

/** One line of /proc/self/mountinfo. */
export interface MountInfo {
  id: number;
  parentId: number;
  /** `major:minor` of the file system. */
  device: string;
  /** Path inside the file system that is mounted here (`/` for a whole file system). */
  root: string;
  mountPoint: string;
  options: string;
  /** Optional fields, e.g. `shared:1`, `master:2`. */
  propagation: string[];
  fsType: string;
  source: string;
  superOptions: string;
}

/** One line of libmount's utab. */
export interface UtabEntry {
  fields: Record<string, string>;
}

/** A summary of data found where keepsake wants to put something. */
export interface ContentSummary {
  files: number;
  directories: number;
  bytes: number;
  /** Up to a handful of example paths, relative to the summarised path. */
  sample: string[];
  /** True when the walk stopped early (very large trees). */
  truncated: boolean;
}

/**
 * The live system as the planner sees it. Looking is lazy and memoised: a no-op apply lstats
 * only what it must. Every path is a host path (with the `--root` prefix); nothing here ever
 * follows a symlink or changes anything.
 */
export interface Observed {
  /** The `--root` directory (a real path), `/` on a live system. */
  root: string;
  mounts: MountInfo[];
  utab: UtabEntry[];
  /** lstat of a host path. */
  stat(path: string): PathState;
  /** Whether a directory holds any entry. */
  isEmpty(path: string): boolean;
  /** What lies in a non-empty directory, for refusal messages. */
  contents(path: string): ContentSummary | undefined;
  /** The text of a small regular file (never through a link), or undefined. */
  readText(path: string, maxBytes: number): string | undefined;
}

/** The state of a path that does not exist. */
export const MISSING: PathState = {
  type: 'missing',
  uid: 0,
  gid: 0,
  mode: 0,
  size: 0,
  dev: 0,
  ino: 0,
};
