// The benchmark's system: a config with 1000 bind-mounted directories, 200 bind-mounted files
// (whose stored copies exist) and 100 directories persisted as symbolic links, spread over
// system paths and one user's home the way a real configuration is.

export const STORE = '/persist';
export const USER = { name: 'bench', uid: 1000, gid: 1000, home: '/home/bench' };

export interface Counts {
  directories: number;
  files: number;
  symlinks: number;
}

export const DEFAULT_COUNTS: Counts = { directories: 1000, files: 200, symlinks: 100 };

/** One declared entry, with absolute paths inside the root (target) and of its stored copy. */
export interface BenchEntry {
  kind: 'directory' | 'file' | 'symlink';
  target: string;
  store: string;
  /** Owner: root for system entries, the user for home entries. */
  uid: number;
  gid: number;
  home: boolean;
}

export interface Layout {
  config: string;
  entries: BenchEntry[];
  passwd: string;
  group: string;
  binds: number;
}

const pad = (n: number, width = 4) => String(n).padStart(width, '0');

/**
 * System directories sit at depths 3 to 6 under a few top-level trees; no entry is the parent
 * of another, so every entry is one bind mount and the parents are shared directories.
 */
function systemDirectory(i: number): string {
  const g = pad(i % 17, 2);
  const h = pad(i % 7, 2);
  switch (i % 4) {
    case 0:
      return `/srv/bench/g${g}/d${pad(i)}`;
    case 1:
      return `/srv/bench/g${g}/h${h}/d${pad(i)}`;
    case 2:
      return `/var/lib/bench/g${g}/h${h}/k${pad(i % 3, 1)}/d${pad(i)}`;
    default:
      return `/opt/bench/d${pad(i)}`;
  }
}

function homeDirectory(i: number): string {
  switch (i % 3) {
    case 0:
      return `.local/share/app${pad(i)}`;
    case 1:
      return `.config/app${pad(i)}`;
    default:
      return `projects/p${pad(i % 5, 1)}/repo${pad(i)}`;
  }
}

function systemFile(i: number): string {
  return i % 2 === 0
    ? `/etc/bench/g${pad(i % 9, 2)}/f${pad(i)}.conf`
    : `/var/lib/bench-state/s${pad(i)}`;
}

const homeFile = (i: number) =>
  i % 2 === 0 ? `.bench/rc${pad(i)}` : `.local/state/bench/h${pad(i)}`;
const systemLink = (i: number) => `/srv/links/l${pad(i)}`;
const homeLink = (i: number) => `.cache/link${pad(i)}`;

/** A tenth of directories and a quarter of files live in the home; 60% of symlinks do. */
export function makeLayout(counts: Counts = DEFAULT_COUNTS): Layout {
  const homeDirs = Math.round(counts.directories / 10);
  const homeFiles = Math.round(counts.files / 4);
  const homeLinks = Math.round((counts.symlinks * 3) / 5);
  const entries: BenchEntry[] = [];
  const system = (kind: BenchEntry['kind'], p: string) =>
    entries.push({ kind, target: p, store: STORE + p, uid: 0, gid: 0, home: false });
  const home = (kind: BenchEntry['kind'], rel: string) =>
    entries.push({
      kind,
      target: `${USER.home}/${rel}`,
      store: `${STORE}${USER.home}/${rel}`,
      uid: USER.uid,
      gid: USER.gid,
      home: true,
    });

  const sysDirs: string[] = [];
  const sysFiles: string[] = [];
  const sysLinks: string[] = [];
  const hDirs: string[] = [];
  const hFiles: string[] = [];
  const hLinks: string[] = [];
  for (let i = 0; i < counts.directories - homeDirs; i++) sysDirs.push(systemDirectory(i));
  for (let i = 0; i < homeDirs; i++) hDirs.push(homeDirectory(i));
  for (let i = 0; i < counts.files - homeFiles; i++) sysFiles.push(systemFile(i));
  for (let i = 0; i < homeFiles; i++) hFiles.push(homeFile(i));
  for (let i = 0; i < counts.symlinks - homeLinks; i++) sysLinks.push(systemLink(i));
  for (let i = 0; i < homeLinks; i++) hLinks.push(homeLink(i));

  for (const p of sysDirs) system('directory', p);
  for (const p of sysLinks) system('symlink', p);
  for (const p of sysFiles) system('file', p);
  for (const p of hDirs) home('directory', p);
  for (const p of hLinks) home('symlink', p);
  for (const p of hFiles) home('file', p);

  const q = (s: string) => JSON.stringify(s);
  const lines = [
    'persistence:',
    `  ${STORE}:`,
    '    hideMounts: false',
    '    directories:',
    ...sysDirs.map((p) => `      - ${q(p)}`),
    ...sysLinks.map((p) => `      - { directory: ${q(p)}, method: symlink }`),
    '    files:',
    ...sysFiles.map((p) => `      - ${q(p)}`),
    '    users:',
    `      ${USER.name}:`,
    '        directories:',
    ...hDirs.map((p) => `          - ${q(p)}`),
    ...hLinks.map((p) => `          - { directory: ${q(p)}, method: symlink }`),
    '        files:',
    ...hFiles.map((p) => `          - ${q(p)}`),
  ];
  return {
    config: `${lines.join('\n')}\n`,
    entries,
    passwd: `root:x:0:0:root:/root:/bin/sh\n${USER.name}:x:${USER.uid}:${USER.gid}::${USER.home}:/bin/sh\n`,
    group: `root:x:0:\n${USER.name}:x:${USER.gid}:\n`,
    binds: entries.filter((e) => e.kind !== 'symlink').length,
  };
}
