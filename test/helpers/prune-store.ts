// A temporary root for prune's adversary tests: a store with declared data, keepsake's
// records, the configuration file and orphans, built once and copied for each case, and
// keepsake run on it in a private mount namespace (`unshare -m`).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Orphan } from '../../src/orphans/types.js';
import { CLI } from './boot.js';

/** Removes every directory made here; the suite calls it when it is done. */
export const cleanups: Array<() => void> = [];

/** Every file, link and directory under `dir` (links not followed), with content hashes. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(dir + rel).sort()) {
      const p = `${rel}/${name}`;
      const st = fs.lstatSync(dir + p);
      if (st.isSymbolicLink()) out[p] = `link ${fs.readlinkSync(dir + p)}`;
      else if (st.isFile())
        out[p] = `file ${createHash('sha256')
          .update(fs.readFileSync(dir + p))
          .digest('hex')}`;
      else if (st.isDirectory()) {
        out[p] = 'dir';
        walk(p);
      } else out[p] = 'other';
    }
  };
  walk('');
  return out;
}

export const under = (p: string, x: string) => p === x || p.startsWith(`${x}/`);
export const split = (snap: Record<string, string>, prefixes: readonly string[]) => {
  const inside: Record<string, string> = {};
  const outside: Record<string, string> = {};
  for (const [p, v] of Object.entries(snap)) {
    if (prefixes.some((x) => under(p, x))) inside[p] = v;
    else outside[p] = v;
  }
  return { inside, outside };
};

const CONFIG = `persistence:
  /persist:
    directories: [/var/log, /srv/keep]
    files: [/etc/machine-id]
`;

/** The orphans of the template store, as paths inside the store. */
export const ORPHANS = ['/many', '/nest', '/lone', '/link', '/var/stray'];

export interface Store {
  dir: string;
  root: string;
  store: string;
  config: string;
  outside: string;
}

function freshDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-prune-kill-')));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function layout(dir: string): Store {
  const root = `${dir}/root`;
  return {
    dir,
    root,
    store: `${root}/persist`,
    config: `${root}/persist/keepsake.yaml`,
    outside: `${dir}/outside`,
  };
}

/** keepsake in a private mount namespace, on `s.root` with the configuration in the store. */
export function ks(s: Store, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      process.execPath,
      CLI,
      ...args,
      '--root',
      s.root,
      '--config',
      s.config,
    ],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 },
  );
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

let template: Store | undefined;

/**
 * A root whose store holds declared data, keepsake's records of an apply, the configuration
 * file, and orphans: a directory of many files, a nested tree, a file, a link to a file
 * outside the store, and a file in a directory on the way to an entry. Built once, copied.
 */
export function store(): Store {
  if (!template) {
    const t = layout(freshDir());
    for (const d of ['etc', 'run', 'persist/var/log', 'persist/srv/keep', 'persist/etc'])
      fs.mkdirSync(`${t.root}/${d}`, { recursive: true });
    fs.chmodSync(t.store, 0o755);
    fs.writeFileSync(`${t.root}/etc/passwd`, 'root:x:0:0::/root:/bin/sh\n');
    fs.writeFileSync(`${t.root}/etc/group`, 'root:x:0:\n');
    fs.writeFileSync(`${t.store}/var/log/syslog`, 'kept log\n');
    fs.writeFileSync(`${t.store}/srv/keep/data`, 'kept data\n');
    fs.writeFileSync(`${t.store}/etc/machine-id`, '0123456789abcdef0123456789abcdef\n');
    fs.writeFileSync(t.config, CONFIG);
    const applied = ks(t, ['apply']);
    assert.equal(applied.status, 0, applied.stderr);
    fs.mkdirSync(`${t.store}/many`);
    for (let i = 0; i < 12; i++) fs.writeFileSync(`${t.store}/many/f${i}`, `many ${i}\n`);
    fs.mkdirSync(`${t.store}/nest/a/b/c`, { recursive: true });
    fs.mkdirSync(`${t.store}/nest/x/y`, { recursive: true });
    fs.writeFileSync(`${t.store}/nest/a/b/c/deep`, 'deep\n');
    fs.writeFileSync(`${t.store}/nest/a/top`, 'top\n');
    fs.writeFileSync(`${t.store}/nest/x/y/z`, 'z\n');
    fs.linkSync(`${t.store}/nest/a/top`, `${t.store}/nest/x/top-again`); // two names, one file
    fs.writeFileSync(`${t.store}/lone`, 'lone\n');
    fs.mkdirSync(t.outside);
    fs.writeFileSync(`${t.outside}/precious`, 'do not touch\n');
    fs.symlinkSync(`${t.outside}/precious`, `${t.store}/link`);
    fs.writeFileSync(`${t.store}/var/stray`, 'stray\n');
    template = t;
  }
  const s = layout(freshDir());
  for (const [from, to] of [
    [template.root, s.root],
    [template.outside, s.outside],
  ] as const) {
    const cp = spawnSync('cp', ['-a', from, to], { encoding: 'utf8' });
    assert.equal(cp.status, 0, cp.stderr);
  }
  // The link points at the template's outside file: repoint it at this copy's.
  fs.unlinkSync(`${s.store}/link`);
  fs.symlinkSync(`${s.outside}/precious`, `${s.store}/link`);
  return s;
}

export function orphansOf(s: Store): Orphan[] {
  const r = ks(s, ['orphans', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { orphans: Orphan[] }).orphans;
}

/** What a full prune deletes, one unlink or rmdir each: the number of steps. */
export function stepsOfPrune(): number {
  const s = store();
  const r = ks(s, ['prune', '--yes', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as { totals: { files: number; directories: number } };
  return rec.totals.files + rec.totals.directories;
}
