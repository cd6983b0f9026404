// The protected set (src/orphans/protected.ts): what it names and why, from a model, a mount
// table, a live generation and a real temporary root; and findOrphans honouring it.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import type { MountInfo } from '../../src/model/observed.js';
import type { HomeFileSet, Model } from '../../src/model/types.js';
import { findOrphans } from '../../src/orphans/find.js';
import { protectedSet, realPathInRoot } from '../../src/orphans/protected.js';
import type { ListedNode, StoreListing } from '../../src/orphans/types.js';
import { entry, model, mount } from '../helpers/builders.js';

const dirs: string[] = [];
/** An empty `--root`: no link to resolve, no unit installed. */
const NO_ROOT = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-prot-')));
dirs.push(NO_ROOT);
/** A mount table line under NO_ROOT (the table names host paths). */
const at = (p: string, dev: string, src = '/') => mount(`${NO_ROOT}${p}`, dev, src);
const rootMount = { ...mount('/', '8:1'), id: 1, parentId: 0 };
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const d = (name: string, children: ListedNode[] = [], over: Partial<ListedNode> = {}) =>
  ({
    name,
    kind: 'directory',
    uid: 0,
    mode: 0o755,
    size: 4096,
    mtimeMs: 0,
    children,
    ...over,
  }) as ListedNode;
const f = (name: string, over: Partial<ListedNode> = {}) =>
  ({ name, kind: 'file', uid: 0, mode: 0o644, size: 10, mtimeMs: 0, ...over }) as ListedNode;
const listing = (node: ListedNode, store = '/persist'): StoreListing => ({
  stores: [{ store, state: 'ok', node, skipped: [] }],
});

function jane(files: HomeFileSet['files'], state: HomeFileSet['state']): HomeFileSet {
  return { user: { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' }, files, state };
}
const source = { file: 'k.yaml', line: 1, column: 1, option: 'x' };

function withHome(m: Model): Model {
  return {
    ...m,
    configFile: `${NO_ROOT}/persist/keepsake.yaml`,
    homeFiles: [
      jane(
        [
          {
            target: '/home/jane/.gitconfig',
            content: { kind: 'source', path: '/persist/dotfiles/gitconfig' },
            recursive: false,
            force: false,
            source,
          },
          {
            target: '/home/jane/.profile',
            content: { kind: 'text', text: 'x' },
            recursive: false,
            force: false,
            source,
          },
        ],
        { path: '/persist/homes/jane', from: 'homeStore' },
      ),
    ],
  };
}

const whyOf = (m: Model, p: string, mounts: MountInfo[] = [], root = NO_ROOT) =>
  protectedSet(m, { root, mounts })
    .filter((x) => x.path === p)
    .map((x) => `${x.scope}: ${x.why}`);

describe('protectedSet', () => {
  it('names the configuration file, home store, home-file sources and keepsake records', () => {
    const m = withHome(model([entry('directory', '/var/log')]));
    assert.deepEqual(whyOf(m, '/persist/var/log'), [
      'whole: it is the data of the directory entry /var/log',
    ]);
    assert.deepEqual(whyOf(m, '/persist/keepsake.yaml'), [
      'whole: it is the configuration file in use',
    ]);
    assert.deepEqual(whyOf(m, '/persist/homes/jane'), ['whole: it is the home store of jane']);
    assert.deepEqual(whyOf(m, '/persist/dotfiles/gitconfig'), [
      "whole: it is the source of jane's home file /home/jane/.gitconfig",
    ]);
    assert.deepEqual(whyOf(m, '/persist/.keepsake'), ["whole: it holds keepsake's own records"]);
    // A text file has no source to protect.
    assert.equal(
      protectedSet(m, { root: NO_ROOT, mounts: [] }).some((x) => x.why.includes('.profile')),
      false,
    );
  });

  it('names a home store declared for a user who declares no home files', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-prot-cfg-'));
    dirs.push(root);
    fs.mkdirSync(`${root}/etc`);
    fs.writeFileSync(
      `${root}/etc/passwd`,
      'root:x:0:0::/root:/bin/sh\njane:x:1000:1000::/home/jane:/bin/sh\n',
    );
    fs.writeFileSync(`${root}/etc/group`, 'root:x:0:\njane:x:1000:\n');
    const file = `${root}/keepsake.yaml`;
    fs.writeFileSync(
      file,
      'persistence:\n  /persist:\n    directories: [/var/log]\nusers:\n  jane:\n    homeStore: /persist/homes/jane\n',
    );
    const m = loadConfig(file, { root });
    assert.deepEqual(whyOf(m, '/persist/homes/jane'), ['whole: it is the home store of jane']);
  });

  it('names the live generation’s entries and configuration file', () => {
    const m = model([entry('directory', '/var/log')]);
    const live = {
      configFile: `${NO_ROOT}/persist/boot.yaml`,
      model: model([entry('directory', '/srv/old')]),
    };
    const set = protectedSet(m, { root: NO_ROOT, mounts: [], live });
    const why = (p: string) => set.filter((x) => x.path === p).map((x) => x.why);
    assert.deepEqual(why('/persist/srv/old'), [
      'it is the data of the directory entry /srv/old of the generation live in this boot',
    ]);
    assert.deepEqual(why('/persist/boot.yaml'), [
      'it is the configuration file of the generation live in this boot',
    ]);
  });

  it('finds the store path behind every bind mount from the mount table alone', () => {
    const m = model([entry('directory', '/var/log')]);
    // /persist is a file system of its own (8:2); /srv/old and /etc/hostname show parts of it;
    // /mnt/other is another file system's directory of the same name.
    const mounts = [
      rootMount,
      at('/persist', '8:2'),
      at('/srv/old', '8:2', '/srv/old'),
      at('/etc/hostname', '8:2', '/etc/hostname//deleted'),
      at('/mnt/other', '8:3', '/srv/other'),
    ];
    assert.deepEqual(whyOf(m, '/persist/srv/old', mounts), [
      'whole: it is the source of the mount at /srv/old',
    ]);
    assert.deepEqual(whyOf(m, '/persist/etc/hostname', mounts), [
      'whole: it is the source of the mount at /etc/hostname',
    ]);
    assert.deepEqual(whyOf(m, '/persist/srv/other', mounts), []);
    // A store that is a directory of the root file system: binds of its subdirectories.
    const onRoot = [rootMount, at('/opt/x', '8:1', `${NO_ROOT}/persist/opt/x`)];
    assert.deepEqual(whyOf(m, '/persist/opt/x', onRoot), [
      'whole: it is the source of the mount at /opt/x',
    ]);
  });

  it('names a user’s storage directories: the classic layout and a user’s part of a system store', () => {
    const home = { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' };
    const m = model([
      entry('directory', '/home/jane/.ssh', {
        home,
        storeRoot: '/persist/jane',
        store: '/persist/jane/.ssh',
      }),
      entry('directory', '/home/jane/.cache', { home }),
    ]);
    const users = protectedSet(m, { root: NO_ROOT, mounts: [] }).filter(
      (x) => x.scope === 'user-owned',
    );
    assert.deepEqual(
      users.map((u) => [u.path, u.why]),
      [
        ['/persist/jane', "jane's storage directory"],
        ['/persist/home/jane', "jane's storage directory"],
      ],
    );
  });

  it('protects a path reached through a link at its real place too, inside --root', () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-prot-')));
    dirs.push(root);
    fs.mkdirSync(`${root}/persist/real/jane`, { recursive: true });
    fs.symlinkSync('/persist/real', `${root}/persist/homes`); // absolute: relative to the root
    fs.symlinkSync('../persist/keepsake.yaml', `${root}/etc-link`);
    assert.equal(realPathInRoot(root, '/persist/homes/jane'), '/persist/real/jane');
    assert.equal(realPathInRoot(root, '/etc-link'), '/persist/keepsake.yaml');
    assert.equal(realPathInRoot(root, '/persist/real/jane'), undefined);
    const m = withHome(model([entry('directory', '/var/log')]));
    const set = protectedSet(m, { root, mounts: [] });
    const real = set.find((x) => x.path === '/persist/real/jane');
    assert.equal(
      real?.why,
      'it is the home store of jane, reached through a symbolic link at /persist/homes/jane',
    );
    // The configuration file given with --root is named as the booted system sees it.
    const inRoot = { ...m, configFile: `${root}/persist/keepsake.yaml` };
    assert.ok(
      protectedSet(inRoot, { root, mounts: [] }).some((x) => x.path === '/persist/keepsake.yaml'),
    );
  });
});

describe('findOrphans with the protected set', () => {
  it('lists only what nothing refers to', () => {
    const m = withHome(model([entry('directory', '/var/log')]));
    const mounts = [rootMount, at('/persist', '8:2'), at('/srv/old', '8:2', '/srv/old')];
    const l = listing(
      d('', [
        f('keepsake.yaml'),
        f('stale.yaml'),
        d('homes', [d('jane', [], { uid: 1000, mode: 0o700 })]),
        d('dotfiles', [f('gitconfig'), f('old-zshrc')]),
        d('srv', [d('old', [f('state')]), d('gone', [f('x')])]),
        d('var', [d('log')]),
        d('.keepsake', [f('gen')]),
      ]),
    );
    const orphans = findOrphans(m, l, protectedSet(m, { root: NO_ROOT, mounts }));
    assert.deepEqual(orphans.map((o) => o.path).sort(), [
      '/persist/dotfiles/old-zshrc',
      '/persist/srv/gone',
      '/persist/stale.yaml',
    ]);
    assert.ok(orphans.every((o) => o.prunable));
  });

  it('never counts a salvage as an orphan, whoever owns its files', () => {
    const m = model([entry('directory', '/var/log')]);
    const boot = '20261206T083000Z-0000-aaaa';
    const l = listing(
      d('', [
        d('var', [d('log')]),
        d('.keepsake', [
          d('salvage', [
            d(boot, [
              f('salvage.json'),
              d('files', [d('home', [d('jane', [f('notes.txt', { uid: 1000 })], { uid: 1000 })])]),
            ]),
          ]),
        ]),
        f('stray'),
      ]),
    );
    const set = protectedSet(m, { root: NO_ROOT, mounts: [] });
    assert.ok(
      set.some(
        (p) =>
          p.path === '/persist/.keepsake/salvage' && /salvages/.test(p.why) && p.scope === 'whole',
      ),
    );
    const orphans = findOrphans(m, l, set);
    assert.deepEqual(
      orphans.map((o) => o.path),
      ['/persist/stray'],
    );
  });

  it('for root, what a user owns in a user’s storage directory is listed, not prunable', () => {
    const home = { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' };
    const m = model([
      entry('directory', '/home/jane/.ssh', {
        home,
        storeRoot: '/persist/jane',
        store: '/persist/jane/.ssh',
      }),
    ]);
    const l = listing(
      d('', [
        d('.ssh'),
        f('notes', { uid: 1000 }),
        d('project', [d('src', [f('main.c', { uid: 1000 })])]),
        f('root-leftover'),
      ]),
      '/persist/jane',
    );
    const orphans = findOrphans(m, l, protectedSet(m, { root: NO_ROOT, mounts: [] }));
    const by = Object.fromEntries(orphans.map((o) => [o.path, o]));
    assert.equal(by['/persist/jane/notes']?.prunable, false);
    assert.equal(by['/persist/jane/notes']?.blockers[0]?.code, 'user-owned');
    assert.equal(by['/persist/jane/project']?.prunable, false);
    assert.match(
      by['/persist/jane/project']?.reason ?? '',
      /\/persist\/jane\/project\/src\/main\.c in it belongs to uid 1000/,
    );
    assert.equal(by['/persist/jane/root-leftover']?.prunable, true);
  });
});
