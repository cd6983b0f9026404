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
  /** For directories: whether it holds any entry. */
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

export interface Observed {
  /** The `--root` directory (a real path), `/` on a live system. */
  root: string;
  /** lstat of every path the planner may ask about; absent key = not observed. */
  paths: Record<string, PathState>;
  /** Summaries of non-empty data at targets that would be hidden or replaced. */
  contents: Record<string, ContentSummary>;
  mounts: MountInfo[];
  utab: UtabEntry[];
}
