// A generated configuration of 1,300 entries for planner tests: bound and linked directories,
// bound files, a user's home, owners and modes named in the config, entries nested in another
// of the same store (covered) and of another store (whose parent's bind becomes a slave), and
// hidden mounts (which get utab lines). Deterministic: the same text every time.

import { topMountAt } from '../../src/core/mount-table.js';
import type { MountInfo } from '../../src/model/observed.js';

export const LAYOUT_USER = { name: 'dana', uid: 1000, gid: 1000, home: '/home/dana' };

const pad = (n: number) => String(n).padStart(4, '0');
const q = (s: string) => JSON.stringify(s);

export interface GeneratedLayout {
  config: string;
  passwd: string;
  group: string;
  /** Every store the configuration names. */
  stores: string[];
}

export function generatedLayout(): GeneratedLayout {
  const u = LAYOUT_USER;
  const dirs: string[] = [];
  const links: string[] = [];
  const files: string[] = [];
  const homeDirs: string[] = [];
  const homeLinks: string[] = [];
  const homeFiles: string[] = [];
  const nestedB: string[] = [];
  for (let i = 0; i < 840; i++) {
    const g = pad(i % 13);
    switch (i % 5) {
      case 0:
        dirs.push(q(`/srv/data/g${g}/d${pad(i)}`));
        break;
      case 1:
        dirs.push(q(`/var/lib/app${pad(i % 29)}/state/d${pad(i)}`));
        break;
      case 2:
        // Owner and mode named in the config.
        dirs.push(
          `{ directory: ${q(`/opt/svc/g${g}/d${pad(i)}`)}, user: ${u.name}, mode: "0750" }`,
        );
        break;
      case 3:
        // Nested in a directory entry of the same store: covered by its bind.
        dirs.push(q(`/srv/data/g${pad((i - 3) % 13)}/d${pad(i - 3)}/sub${pad(i)}`));
        break;
      default:
        dirs.push(q(`/etc/conf.d/g${g}/d${pad(i)}`));
    }
  }
  for (let i = 0; i < 60; i++)
    links.push(`{ directory: ${q(`/srv/links/l${pad(i)}`)}, method: symlink }`);
  for (let i = 0; i < 150; i++) {
    files.push(q(i % 2 ? `/etc/app/g${pad(i % 7)}/f${pad(i)}.conf` : `/var/lib/files/s${pad(i)}`));
  }
  for (let i = 0; i < 120; i++) {
    homeDirs.push(q(i % 2 ? `.config/app${pad(i)}` : `projects/p${pad(i % 4)}/repo${pad(i)}`));
  }
  for (let i = 0; i < 40; i++)
    homeLinks.push(`{ directory: ${q(`.cache/c${pad(i)}`)}, method: symlink }`);
  for (let i = 0; i < 50; i++) homeFiles.push(q(`.local/state/h${pad(i)}`));
  // Inside directories of the first store, kept in the second: mounts of another store.
  for (let i = 0; i < 40; i++) nestedB.push(q(`/srv/data/g${pad(i % 13)}/d${pad(i * 5)}/other`));
  const lines = [
    'persistence:',
    '  /persist:',
    '    hideMounts: true',
    '    directories:',
    ...[...dirs, ...links].map((d) => `      - ${d}`),
    '    files:',
    ...files.map((f) => `      - ${f}`),
    '    users:',
    `      ${u.name}:`,
    '        directories:',
    ...[...homeDirs, ...homeLinks].map((d) => `          - ${d}`),
    '        files:',
    ...homeFiles.map((f) => `          - ${f}`),
    '  /keep:',
    '    directories:',
    ...nestedB.map((d) => `      - ${d}`),
  ];
  return {
    config: `${lines.join('\n')}\n`,
    passwd: `root:x:0:0:root:/root:/bin/sh\n${u.name}:x:${u.uid}:${u.gid}::${u.home}:/bin/sh\n`,
    group: `root:x:0:\n${u.name}:x:${u.gid}:\n`,
    stores: ['/persist', '/keep'],
  };
}

/** The mount holding a path: each ancestor asked, nothing remembered between questions. */
export function plainContaining(mounts: MountInfo[], path: string): MountInfo | undefined {
  let p = path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
  for (;;) {
    const m = topMountAt(mounts, p);
    if (m) return m;
    if (p === '/' || p === '') return undefined;
    const slash = p.lastIndexOf('/');
    p = slash <= 0 ? '/' : p.slice(0, slash);
  }
}
