// Every option keepsake accepts, in one table: where it may appear, its type, what it means
// and its default. Validation reads it to check keys and types; the option reference in the
// docs/reference.md is generated from it.

export type SectionId =
  | 'root'
  | 'location'
  | 'locationUser'
  | 'user'
  | 'homeLocation'
  | 'directory'
  | 'file'
  | 'homeDirectory'
  | 'homeFile'
  | 'userFile'
  | 'parentDirectory'
  | 'metrics'
  | 'salvage';

export type ValueType =
  | { kind: 'boolean' }
  | { kind: 'string' }
  | { kind: 'path' }
  | { kind: 'mode' }
  | { kind: 'account'; of: 'user' | 'group' }
  | { kind: 'enum'; values: readonly string[] }
  /** A list whose items are a path or an entry map of the given section. */
  | { kind: 'entries'; entry: SectionId }
  /** A list of gitignore-style patterns (strings). */
  | { kind: 'patterns' }
  /** A list of absolute paths. */
  | { kind: 'paths' }
  /** Bytes: a whole number, or one with a K, M or G suffix (binary units). */
  | { kind: 'size' }
  /** Seconds: a whole number, or one with an s, m or h suffix. */
  | { kind: 'duration' }
  /** A whole number, at least 1. */
  | { kind: 'count' }
  | { kind: 'section'; section: SectionId }
  /** A map from free-form keys (a location, a user name) to a section. */
  | { kind: 'mapOf'; key: string; section: SectionId };

export interface OptionSpec {
  name: string;
  type: ValueType;
  /** The type as the reference shows it. */
  typeLabel: string;
  description: string;
  /** The default as the reference shows it; absent when the option is required or has none. */
  default?: string;
  /** For entries: the option that holds the path (`directory`, `file`). */
  required?: boolean;
}

export interface SectionSpec {
  id: SectionId;
  /** Where the section sits, as the reference writes it, e.g. `persistence.<location>`. */
  path: string;
  title: string;
  /** What a value of this section is called in messages ("a storage location"). */
  noun: string;
  description: string;
  options: readonly OptionSpec[];
}

const boolean = { kind: 'boolean' } as const;
const string = { kind: 'string' } as const;
const path = { kind: 'path' } as const;
const mode = { kind: 'mode' } as const;
const user = { kind: 'account', of: 'user' } as const;
const group = { kind: 'account', of: 'group' } as const;

/** The methods each kind of entry accepts; the first is the default. */
export const METHODS = {
  system: ['auto', 'symlink'],
  home: ['bindfs', 'symlink', 'auto'],
} as const;

const locationOptions: OptionSpec[] = [
  {
    name: 'enable',
    type: boolean,
    typeLabel: 'boolean',
    default: 'true',
    description: 'When false, the location and every entry in it are ignored.',
  },
  {
    name: 'persistentStoragePath',
    type: path,
    typeLabel: 'absolute path',
    default: 'the location key',
    description:
      'Where the data is stored. Needed when the location key is a name (e.g. `system`) rather than a path.',
  },
  {
    name: 'hideMounts',
    type: boolean,
    typeLabel: 'boolean',
    default: 'false',
    description:
      'Mark the bind mounts `x-gvfs-hide` so that file managers do not list them (recorded in `/run/mount/utab`).',
  },
  {
    name: 'allowTrash',
    type: boolean,
    typeLabel: 'boolean',
    default: 'false',
    description:
      'Mark the bind mounts `x-gvfs-trash` so that file managers may move files to the trash inside them.',
  },
  {
    name: 'adopt',
    type: boolean,
    typeLabel: 'boolean',
    default: 'false',
    description:
      'Data found at a target is moved into the store (or, when the store already holds data, set aside in `<store>/.keepsake/backup/`) instead of stopping the apply; as `apply --adopt` does for one run.',
  },
  {
    name: 'enableWarnings',
    type: boolean,
    typeLabel: 'boolean',
    default: 'true',
    description: 'When false, keepsake does not print configuration warnings.',
  },
  {
    name: 'enableDebugging',
    type: boolean,
    typeLabel: 'boolean',
    default: 'false',
    description: 'Verbose output, as with `--verbose`.',
  },
];

/** The `directories` and `files` lists of a location, each with its kind of entry. */
function entryLists(
  directories: { entry: SectionId; description: string },
  files: { entry: SectionId; description: string },
): OptionSpec[] {
  const list = (name: string, noun: string, l: { entry: SectionId; description: string }) => ({
    name,
    type: { kind: 'entries' as const, entry: l.entry },
    typeLabel: `list of paths or ${noun} entries`,
    default: '[]',
    description: l.description,
  });
  return [list('directories', 'directory', directories), list('files', 'file', files)];
}

function ignoreOption(description: string): OptionSpec {
  return {
    name: 'ignore',
    type: { kind: 'patterns' },
    typeLabel: 'list of patterns',
    default: '[]',
    description,
  };
}

function entrySection(
  id: SectionId,
  kind: 'directory' | 'file',
  home: boolean,
  sectionPath: string,
): SectionSpec {
  const methods = home ? METHODS.home : METHODS.system;
  const methodDescription = home
    ? kind === 'directory'
      ? '`bindfs` (or `auto`): bind-mount the stored directory onto the target (a kernel bind mount; no FUSE). `symlink`: make the target a symbolic link into the store.'
      : '`auto` (also `bindfs`): bind-mount the stored file when it exists, otherwise link to it. `symlink`: always a symbolic link.'
    : kind === 'directory'
      ? '`auto`: bind-mount the stored directory onto the target. `symlink`: make the target a symbolic link into the store.'
      : '`auto`: bind-mount the stored file when it exists, otherwise link to it (`/etc/machine-id` is seeded instead). `symlink`: always a symbolic link.';
  const ownerDefault = home ? 'the user' : '`root`; in `users.<user>`: the user';
  const groupDefault = home
    ? "the user's primary group"
    : "`root`; in `users.<user>`: the user's primary group";
  const modeDefault =
    kind === 'directory' ? '`0755`' : '`0644` (applied only when keepsake creates the file)';
  return {
    id,
    path: sectionPath,
    title: `${kind === 'directory' ? 'Directory' : 'File'} entry${home ? ' (Home Manager layout)' : ''}`,
    noun: `a ${kind} entry`,
    description: `A ${kind} to persist, written either as a plain path or as a map with the options below.`,
    options: [
      {
        name: kind,
        type: path,
        typeLabel: home ? 'path relative to the home' : 'path',
        required: true,
        description: kind === 'directory' ? 'The directory to persist.' : 'The file to persist.',
      },
      {
        name: 'user',
        type: user,
        typeLabel: 'user name or uid',
        default: ownerDefault,
        description: `Owner of the stored ${kind}: set when keepsake creates it; when written here, also corrected on an existing one that differs.`,
      },
      {
        name: 'group',
        type: group,
        typeLabel: 'group name or gid',
        default: groupDefault,
        description: `Group of the stored ${kind}: set when keepsake creates it; when written here, also corrected on an existing one that differs.`,
      },
      {
        name: 'mode',
        type: mode,
        typeLabel: 'octal or symbolic mode',
        default: modeDefault,
        description: `Permissions of the stored ${kind}, e.g. \`"0700"\` or \`"u=rwx,g=rx,o="\`: set when keepsake creates it; when written here, also corrected on an existing one that differs. A created target takes the store's owner and mode.`,
      },
      {
        name: 'method',
        type: { kind: 'enum', values: methods },
        typeLabel: methods.map((m) => `\`${m}\``).join(' or '),
        default: `\`${methods[0]}\``,
        description: methodDescription,
      },
      {
        name: 'persistentStoragePath',
        type: path,
        typeLabel: 'absolute path',
        default: "the location's storage path",
        description: 'Store this entry in another location than the one it is declared in.',
      },
      {
        name: 'hideMount',
        type: boolean,
        typeLabel: 'boolean',
        default: "the location's `hideMounts`",
        description: 'Hide this bind mount from file managers.',
      },
      {
        name: 'allowTrash',
        type: boolean,
        typeLabel: 'boolean',
        default: "the location's `allowTrash`",
        description: 'Allow file managers to use a trash directory inside this bind mount.',
      },
      {
        name: 'adopt',
        type: boolean,
        typeLabel: 'boolean',
        default: "the location's `adopt`",
        description: 'Move data found at this target into the store instead of refusing.',
      },
      {
        name: 'parentDirectory',
        type: { kind: 'section', section: 'parentDirectory' },
        typeLabel: 'map',
        default: home
          ? 'the user, 0755'
          : '`root`, `root`, 0755; in `users.<user>`: the user, 0755',
        description:
          'Owner, group and mode of the parent directories keepsake creates on the way to the entry.',
      },
    ],
  };
}

export const SCHEMA: readonly SectionSpec[] = [
  {
    id: 'root',
    path: '',
    title: 'Top level',
    noun: 'a configuration',
    description: 'The configuration file holds a map with these keys.',
    options: [
      {
        name: 'persistence',
        type: { kind: 'mapOf', key: '<location>', section: 'location' },
        typeLabel: 'map of storage locations',
        default: '{}',
        description:
          "What persists, keyed by storage location; the same shape as NixOS impermanence's `environment.persistence`.",
      },
      {
        name: 'users',
        type: { kind: 'mapOf', key: '<user>', section: 'user' },
        typeLabel: 'map of users',
        default: '{}',
        description:
          "Per-user settings: the home directory, and persistence in Home Manager's classic layout.",
      },
      {
        name: 'metrics',
        type: { kind: 'section', section: 'metrics' },
        typeLabel: 'metrics settings',
        description:
          'Prometheus metrics for a fleet: where `apply` keeps them up to date for node_exporter.',
      },
      {
        name: 'ephemeral',
        type: { kind: 'paths' },
        typeLabel: 'list of absolute paths',
        default: '[]',
        description:
          'Paths on disk-backed file systems that are rolled back to a blank state at every boot (a btrfs or ZFS root restored from an empty snapshot): `[ / ]`. Memory-backed file systems (tmpfs, ramfs) are known to be ephemeral without it. `keepsake diff` and `salvage` look only at what is ephemeral.',
      },
      {
        name: 'salvage',
        type: { kind: 'section', section: 'salvage' },
        typeLabel: 'map',
        default: '{ enable: false }',
        description:
          'At shutdown, copy the undeclared files changed since boot, which the next boot would wipe, into the store, so that a forgotten file can be restored (`keepsake salvage`).',
      },
    ],
  },
  {
    id: 'location',
    path: 'persistence.<location>',
    title: 'Storage location',
    noun: 'a storage location',
    description:
      'A storage location. Its key is the path of the store (e.g. `/persist`), or a name when `persistentStoragePath` is set. Entries are stored at `<store><path>`.',
    options: [
      ...locationOptions,
      ...entryLists(
        { entry: 'directory', description: 'Absolute directories to persist.' },
        { entry: 'file', description: 'Absolute files to persist.' },
      ),
      {
        name: 'users',
        type: { kind: 'mapOf', key: '<user>', section: 'locationUser' },
        typeLabel: 'map of users',
        default: '{}',
        description:
          "Per-user entries, relative to the user's home and stored at `<store><home>/<entry>`.",
      },
      ignoreOption(
        'Paths that `keepsake diff` does not report as undeclared, as gitignore-style patterns: `/` anchors at the root, a pattern without `/` matches a name anywhere, `*`, `?`, `[...]` and `**` as in gitignore, a trailing `/` matches directories only, `!` re-includes. E.g. `/var/lib/foo/cache/`, `*.pid`.',
      ),
    ],
  },
  {
    id: 'locationUser',
    path: 'persistence.<location>.users.<user>',
    title: 'User entries in a storage location',
    noun: "a user's entries",
    description:
      "Entries in a user's home. They are owned by the user and the user's primary group unless they say otherwise.",
    options: [
      ...entryLists(
        {
          entry: 'directory',
          description: 'Directories relative to the home, e.g. `.ssh` or `Downloads`.',
        },
        { entry: 'file', description: 'Files relative to the home, e.g. `.bash_history`.' },
      ),
      {
        name: 'home',
        type: path,
        typeLabel: 'absolute path',
        default: '`users.<user>.home`, else the home in `<root>/etc/passwd`',
        description: "The user's home directory.",
      },
      ignoreOption(
        "As the location's `ignore`, relative to the user's home: `/.local/share/Trash/` is that directory in the home, `*.tmp` any such name in it.",
      ),
    ],
  },
  {
    id: 'user',
    path: 'users.<user>',
    title: 'User',
    noun: 'a user',
    description: 'Settings for one user, who must exist in `<root>/etc/passwd`.',
    options: [
      {
        name: 'home',
        type: path,
        typeLabel: 'absolute path',
        default: 'the home in `<root>/etc/passwd`',
        description: "The user's home directory.",
      },
      {
        name: 'persistence',
        type: { kind: 'mapOf', key: '<storage-dir>', section: 'homeLocation' },
        typeLabel: 'map of storage directories',
        default: '{}',
        description:
          "Home Manager's `home.persistence` in its classic layout: the key is this user's own storage directory, and an entry `E` is stored at `<key>/E` and appears at `<home>/E`.",
      },
      {
        name: 'files',
        type: { kind: 'mapOf', key: '<target>', section: 'userFile' },
        typeLabel: 'map of home files',
        default: '{}',
        description:
          "Home Manager's `home.file`: files linked into the home from a generation kept in persistent storage, keyed by the path relative to the home.",
      },
      {
        name: 'backupExtension',
        type: string,
        typeLabel: 'string',
        default: 'none',
        description:
          'A file in the way of a home file is renamed to `<name>.<ext>` instead of stopping the apply (as `home apply --backup EXT`); refused when that name is taken too.',
      },
      {
        name: 'homeStore',
        type: path,
        typeLabel: 'absolute path',
        default:
          "`<dir>/.keepsake-home` of the user's first `persistence` directory, else `<store>/.keepsake-home/<user>` of the first system store, else `~/.local/state/keepsake`",
        description:
          "Where the user's home-file generations and their content are kept. It must be persistent for stale links to be cleaned after a reboot, and writable by the user.",
      },
      ignoreOption(
        "Paths in the user's home that `keepsake diff` does not report, as gitignore-style patterns relative to the home (as `persistence.<location>.users.<user>.ignore`).",
      ),
    ],
  },
  {
    id: 'userFile',
    path: 'users.<user>.files.<target>',
    title: 'Home file (Home Manager `home.file`)',
    noun: 'a home file',
    description:
      'A file or directory linked into the home. The key is its path relative to the home (unless `target` says otherwise); exactly one of `text` and `source` gives its content.',
    options: [
      {
        name: 'enable',
        type: boolean,
        typeLabel: 'boolean',
        default: 'true',
        description:
          'When false, the file is not linked (and a link from an earlier generation is removed).',
      },
      {
        name: 'text',
        type: string,
        typeLabel: 'string',
        description: 'The content of the file.',
      },
      {
        name: 'source',
        type: path,
        typeLabel: 'path',
        description:
          'A file or directory to link, relative to the configuration file or absolute. It is copied into the home store at each apply (unchanged content is not copied again).',
      },
      {
        name: 'target',
        type: path,
        typeLabel: 'path relative to the home',
        default: 'the key',
        description: 'Where the link appears, relative to the home.',
      },
      {
        name: 'executable',
        type: boolean,
        typeLabel: 'boolean',
        default: "the source's own executable bit; `false` for text",
        description: 'Make the file executable (or not).',
      },
      {
        name: 'recursive',
        type: boolean,
        typeLabel: 'boolean',
        default: 'false',
        description:
          'For a source directory: create it as a real directory in the home and link each file inside individually, so other files may live beside them. Otherwise the directory itself is one link.',
      },
      {
        name: 'force',
        type: boolean,
        typeLabel: 'boolean',
        default: 'false',
        description:
          'Replace a file, link or empty directory found at the target without asking. A directory with content is never replaced.',
      },
      {
        name: 'onChange',
        type: string,
        typeLabel: 'shell command',
        description:
          'Run with `/bin/sh -c`, as the user, in the home, after linking, when the content at the target changed. A failure is reported and does not stop the other commands.',
      },
    ],
  },
  {
    id: 'homeLocation',
    path: 'users.<user>.persistence.<storage-dir>',
    title: 'Home storage directory (Home Manager classic layout)',
    noun: 'a home storage directory',
    description:
      "A user's own storage directory. Its key is the path, or a name when `persistentStoragePath` is set.",
    options: [
      ...locationOptions,
      ...entryLists(
        { entry: 'homeDirectory', description: 'Directories relative to the home.' },
        { entry: 'homeFile', description: 'Files relative to the home.' },
      ),
      {
        name: 'removePrefixDirectory',
        type: boolean,
        typeLabel: 'boolean',
        default: 'false',
        description:
          'Drop the first component of each entry on the home side: `gpg/.gnupg` is stored at `<key>/gpg/.gnupg` and appears at `~/.gnupg`.',
      },
      {
        name: 'allowOther',
        type: boolean,
        typeLabel: 'boolean',
        default: 'false',
        description:
          "Accepted for compatibility and ignored: it is a bindfs (FUSE) setting, and keepsake's kernel bind mounts are visible to every user the permissions allow.",
      },
    ],
  },
  entrySection(
    'directory',
    'directory',
    false,
    'persistence.<location>.directories[]  ·  persistence.<location>.users.<user>.directories[]',
  ),
  entrySection(
    'file',
    'file',
    false,
    'persistence.<location>.files[]  ·  persistence.<location>.users.<user>.files[]',
  ),
  entrySection(
    'homeDirectory',
    'directory',
    true,
    'users.<user>.persistence.<storage-dir>.directories[]',
  ),
  entrySection('homeFile', 'file', true, 'users.<user>.persistence.<storage-dir>.files[]'),
  {
    id: 'parentDirectory',
    path: '<entry>.parentDirectory',
    title: 'Parent directories',
    noun: 'a parentDirectory map',
    description:
      "Owner and mode of the entry's immediate parent directory when keepsake creates it, in the store and at the target. Other missing ancestors get root's 0755 (the user's 0755 inside a home, 0700 for the home itself). Existing directories are left alone.",
    options: [
      {
        name: 'user',
        type: user,
        typeLabel: 'user name or uid',
        default: '`root` (the user, in a home)',
        description: 'Owner of created parent directories.',
      },
      {
        name: 'group',
        type: group,
        typeLabel: 'group name or gid',
        default: "`root` (the user's primary group, in a home)",
        description: 'Group of created parent directories.',
      },
      {
        name: 'mode',
        type: mode,
        typeLabel: 'octal or symbolic mode',
        default: '`0755`',
        description: 'Permissions of created parent directories.',
      },
    ],
  },
  {
    id: 'metrics',
    path: 'metrics',
    title: 'Metrics',
    noun: 'a metrics map',
    description:
      "Prometheus metrics in node_exporter's textfile format (`keepsake metrics`). When set, `apply` rewrites the file after every run, with only what is cheap to learn; `keepsake metrics --textfile` adds what needs a walk of the tree.",
    options: [
      {
        name: 'textfile',
        type: path,
        typeLabel: 'absolute path',
        description:
          "The directory node_exporter's textfile collector reads (its `--collector.textfile.directory`); keepsake writes `keepsake.prom` there. E.g. `/var/lib/prometheus/node-exporter`.",
      },
    ],
  },
  {
    id: 'salvage',
    path: 'salvage',
    title: 'Salvage at shutdown',
    noun: 'a salvage map',
    description:
      'What `keepsake salvage run` keeps at shutdown: the undeclared regular files and symbolic links on ephemeral file systems that changed since boot (what `keepsake diff` reports), smallest and most recently changed first, up to a budget, in `<store>/.keepsake/salvage/<boot>/`.',
    options: [
      {
        name: 'enable',
        type: boolean,
        typeLabel: 'boolean',
        default: 'false',
        description:
          '`keepsake.service` (and the compiled units) run `keepsake salvage run` at shutdown, before the binds are taken down.',
      },
      {
        name: 'maxBytes',
        type: { kind: 'size' },
        typeLabel: 'size (`512K`, `256M`, `1G`)',
        default: '`256M`',
        description:
          'At most this many bytes are copied at each shutdown; what does not fit is listed as skipped.',
      },
      {
        name: 'keepBoots',
        type: { kind: 'count' },
        typeLabel: 'whole number',
        default: '5',
        description:
          "The salvages of this many boots are kept; older ones are deleted, oldest first (never the current boot's).",
      },
      {
        name: 'store',
        type: path,
        typeLabel: 'a storage location',
        default: 'the first storage location',
        description: 'The storage location whose `.keepsake/salvage/` holds the salvages.',
      },
      {
        name: 'timeout',
        type: { kind: 'duration' },
        typeLabel: 'duration (`30s`, `2m`)',
        default: '`30s`',
        description:
          'A salvage stops after this long, so that shutdown is never held up; the record then says it is partial.',
      },
      ignoreOption(
        'Patterns of paths salvage leaves out, in addition to the `ignore` rules `keepsake diff` follows; relative to `/`.',
      ),
    ],
  },
];

const BY_ID = new Map(SCHEMA.map((s) => [s.id, s]));

export function section(id: SectionId): SectionSpec {
  const spec = BY_ID.get(id);
  if (spec === undefined) throw new Error(`no schema section ${id}`);
  return spec;
}

export function option(id: SectionId, name: string): OptionSpec | undefined {
  return section(id).options.find((o) => o.name === name);
}
