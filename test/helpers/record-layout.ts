// A configuration of 1,300 entries in the shapes a real one has (bind-mounted directories and
// files, directories kept as symbolic links, a user's home, explicit owners and modes), with
// names that JSON has to escape or encode in more than one byte each.

import type { Generation } from '../../src/plan/generation.js';

export const RECORD_STORE = '/persist';
export const RECORD_USER = { name: 'rec', uid: 1000, gid: 1000, home: '/home/rec' };

export interface RecordLayout {
  config: string;
  /** Files the store already holds (relative to the store), so that file entries are binds. */
  storedFiles: string[];
  /** Directory targets, for tests that plant something there. */
  directories: string[];
  passwd: string;
  group: string;
}

const pad = (n: number) => String(n).padStart(4, '0');

/** `scale` 1 is 1,000 directories, 200 files and 100 links; fewer for a smaller layout. */
export function recordLayout(scale = 1, drop = 0): RecordLayout {
  const dirs = Math.round(1000 * scale);
  const files = Math.round(200 * scale);
  const links = Math.round(100 * scale);
  const q = (s: string) => JSON.stringify(s);
  const directories: string[] = [];
  const sys: string[] = [];
  const home: string[] = [];
  for (let i = drop; i < dirs; i++) {
    const p =
      i % 10 === 0
        ? `data/d${pad(i)}`
        : i % 7 === 0
          ? `/srv/quoted "q${i % 3}"\\back/d${pad(i)}`
          : i % 5 === 0
            ? `/var/lib/ünïcödé-${i % 4}/日本/d${pad(i)}`
            : `/srv/rec/g${i % 17}/h${i % 5}/d${pad(i)}`;
    if (p.startsWith('/')) {
      directories.push(p);
      sys.push(
        i % 9 === 0
          ? `      - { directory: ${q(p)}, user: ${RECORD_USER.name}, mode: "0750" }`
          : `      - ${q(p)}`,
      );
    } else home.push(`          - ${q(p)}`);
  }
  for (let i = 0; i < links; i++) {
    sys.push(`      - { directory: ${q(`/srv/links/l${pad(i)}`)}, method: symlink }`);
  }
  const fileLines: string[] = [];
  const storedFiles: string[] = [];
  for (let i = 0; i < files; i++) {
    const p = i % 3 === 0 ? `/etc/rec/g${i % 9}/f${pad(i)}.conf` : `/var/lib/rec-state/s${pad(i)}`;
    storedFiles.push(p);
    fileLines.push(i % 8 === 0 ? `      - { file: ${q(p)}, mode: "0600" }` : `      - ${q(p)}`);
  }
  const lines = [
    'persistence:',
    `  ${RECORD_STORE}:`,
    '    hideMounts: false',
    '    directories:',
    ...sys,
    '    files:',
    ...fileLines,
    '    users:',
    `      ${RECORD_USER.name}:`,
    '        directories:',
    ...home,
  ];
  return {
    config: `${lines.join('\n')}\n`,
    storedFiles,
    directories,
    passwd: `root:x:0:0:root:/root:/bin/sh\n${RECORD_USER.name}:x:${RECORD_USER.uid}:${RECORD_USER.gid}::${RECORD_USER.home}:/bin/sh\n`,
    group: `root:x:0:\n${RECORD_USER.name}:x:${RECORD_USER.gid}:\n`,
  };
}

/** The live record as keepsake first wrote it: the whole generation, trimmed by spreads. */
export function referenceLive(g: Generation): Generation {
  const made = g.actions.filter(
    (a) =>
      ((a.kind === 'mkdir' || a.kind === 'create-file') && a.side === 'target') ||
      a.kind === 'symlink',
  );
  return {
    ...g,
    actions: made,
    plan: { ...g.plan, entries: [], actions: [], released: [], adopted: [] },
  };
}
