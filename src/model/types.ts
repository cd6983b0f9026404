// The validated, normalised model of what must persist. Every path here is absolute,
// normalised (no trailing slash, no `.`/`..`, no doubled slashes) and expressed as seen by
// the booted system, never prefixed with `--root`.

/** Where in the configuration a value came from, for messages. */
export interface SourceRef {
  file: string;
  line: number; // 1-based; 0 when unknown
  column: number; // 1-based; 0 when unknown
  /** Option path as written, e.g. `persistence."/persist".directories[3]`. */
  option: string;
}

/** Owner and mode for one path; `explicit` says which parts the config named. */
export interface Ownership {
  uid: number;
  gid: number;
  mode: number; // permission bits only (07777)
  explicit: { user: boolean; group: boolean; mode: boolean };
}

/** The user whose home an entry lives in. */
export interface HomeRef {
  user: string;
  uid: number;
  gid: number;
  /** The home directory (target side), e.g. `/home/jane`. */
  path: string;
}

/**
 * How the persisted data is made to appear at the target:
 * - `auto`: directories are bind-mounted; files are bind-mounted when the stored file exists,
 *   and otherwise linked (or seeded, for `/etc/machine-id`).
 * - `symlink`: the target is a symbolic link into the store.
 */
export type Method = 'auto' | 'symlink';

export interface PersistEntry {
  /** Stable id: `<kind>:<target>`; targets are unique across the whole config. */
  id: string;
  kind: 'directory' | 'file';
  /** Where the data appears, e.g. `/var/log` or `/home/jane/.ssh`. */
  target: string;
  /** Where the data is kept, e.g. `/persist/var/log`. */
  store: string;
  /** The storage location's path, e.g. `/persist` or `/persist/home/jane` (classic layout). */
  storeRoot: string;
  method: Method;
  /** For the entry itself (store side; the target follows the store). */
  owner: Ownership;
  /** For parent directories keepsake creates between the base and the entry. */
  parents: Ownership;
  /** Set when the target lives in a user's home. */
  home?: HomeRef;
  hideMount: boolean;
  allowTrash: boolean;
  /** Data found at the target is moved into the store instead of being refused. */
  adopt: boolean;
  source: SourceRef;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable machine-readable code, e.g. `unknown-key`, `nested-same-store`. */
  code: string;
  message: string;
  hint?: string;
  source?: SourceRef;
}

/** A pattern of undeclared paths that `keepsake diff` does not report (gitignore-style). */
export interface IgnorePattern {
  pattern: string;
  /** The directory it is relative to: `/`, or the home of the user it is written for. */
  base: string;
  source: SourceRef;
}

/** A path on a disk-backed file system that is rolled back to a blank state at boot. */
export interface EphemeralPath {
  path: string;
  source: SourceRef;
}

/** `salvage`: what `keepsake salvage run` keeps of the undeclared files at shutdown. */
export interface SalvageSettings {
  enable: boolean;
  maxBytes: number;
  keepBoots: number;
  /** The storage location whose `.keepsake/salvage/` holds the salvages. */
  store: string;
  timeoutMs: number;
  /** Added to the `ignore` rules, for salvage only. */
  ignores: IgnorePattern[];
}

export interface Model {
  /** Absolute path of the configuration file. */
  configFile: string;
  entries: PersistEntry[];
  /** Declared home files, one set per user that declares any (`users.<name>.files`). */
  homeFiles?: HomeFileSet[];
  /** Every `users.<name>.homeStore` declared, also for users with no home files. */
  homeStores?: { user: string; path: string }[];
  /** Every distinct storage location path, sorted. */
  stores: string[];
  warnings: Diagnostic[];
  /** `enableDebugging` anywhere, or `--verbose`. */
  verbose: boolean;
  /** `enableWarnings` (default true): print warnings. */
  showWarnings: boolean;
  /** `ignore` patterns, in file order (absent in models written before they existed). */
  ignores?: IgnorePattern[];
  /** `metrics`: the directory node_exporter's textfile collector reads. */
  metrics?: { textfile: string };
  /** `ephemeral`: disk-backed paths rolled back at boot (absent when none are declared). */
  ephemeral?: EphemeralPath[];
  /** `salvage`, its defaults filled in (absent when the configuration has no `salvage`). */
  salvage?: SalvageSettings;
}

/** What a declared home file holds: literal text, or a file or directory to copy. */
export type HomeFileContent = { kind: 'text'; text: string } | { kind: 'source'; path: string };

/** One `users.<name>.files.<key>`, as Home Manager's `home.file.<key>`. */
export interface HomeFile {
  /** Absolute path in the home where the link appears. */
  target: string;
  content: HomeFileContent;
  /** Absent: a source file keeps its own executable bit; text is not executable. */
  executable?: boolean;
  /** A source directory becomes a real directory with each file inside linked. */
  recursive: boolean;
  /** Replace whatever is at the target (a file, a link or an empty directory). */
  force: boolean;
  /** Shell command run as the user, in the home, when the content at the target changed. */
  onChange?: string;
  source: SourceRef;
}

/**
 * Where a user's home-file generations and content live. The same place in both modes
 * (root's `apply` and the user's own `home apply`), so each sees what the other made.
 */
export interface HomeState {
  path: string;
  /** `homeStore`, the user's first own storage directory, a system store, or the home. */
  from: 'homeStore' | 'user-store' | 'system-store' | 'home';
}

export interface HomeFileSet {
  user: HomeRef;
  files: HomeFile[];
  /** `backupExtension`: existing files in the way are renamed with this extension. */
  backupExtension?: string;
  state: HomeState;
}
