// The walk over an in-memory tree (a fake directory reader): what is pruned, ignored, counted
// and listed, without touching a file system.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Aggregator } from '../../src/diff/aggregate.js';
import { areaOf, ephemeralAreas } from '../../src/diff/ephemeral.js';
import { childrenOf } from '../../src/diff/file-nodes.js';
import { buildIgnoreRules } from '../../src/diff/ignore.js';
import {
  KIND_DIRECTORY,
  KIND_ERROR,
  KIND_FILE,
  KIND_SYMLINK,
  type Listing,
  type ReadAhead,
  type WalkPath,
} from '../../src/diff/listing.js';
import { buildPruning } from '../../src/diff/scan.js';
import type { DiffNode } from '../../src/diff/types.js';
import { MAX_FILE_NODES, Walk } from '../../src/diff/walk.js';
import { mount } from '../helpers/builders.js';

type Tree = { [name: string]: Tree | number | 'link' | 'denied' | 'unreadable' };

const BOOT = 1_000;

/** A reader over `tree` (a name → subtree, size, link, or a failure), rooted at `root`. */
function reader(root: string, tree: Tree) {
  const read = (path: WalkPath): Listing => {
    const rel = String(path).slice(root.length).split('/').filter(Boolean);
    let node: Tree | number | string = tree;
    for (const c of rel) node = (node as Tree)[c]!;
    if (node === 'unreadable') throw Object.assign(new Error('denied'), { code: 'EACCES' });
    const entries = Object.entries(node as Tree);
    const kind = (v: Tree[string]) =>
      typeof v === 'number'
        ? KIND_FILE
        : v === 'link'
          ? KIND_SYMLINK
          : v === 'denied'
            ? KIND_ERROR
            : KIND_DIRECTORY;
    return {
      length: entries.length,
      kind: (i) => kind(entries[i]![1]),
      size: (i) =>
        entries[i]![1] === 'denied'
          ? 13
          : typeof entries[i]![1] === 'number'
            ? (entries[i]![1] as number)
            : 0,
      mtimeMs: (i) => (typeof entries[i]![1] === 'number' ? 2_000 : 0),
      name: (i) => entries[i]![0].replace('\xff', '\uFFFD'),
      nameBytes: (i) =>
        entries[i]![0].includes('\xff') ? Buffer.from(entries[i]![0], 'latin1') : undefined,
    };
  };
  return read;
}

/** What a reader that reads ahead was told, and the directories read, in order. */
interface AheadLog {
  events: string[];
  ahead: ReadAhead;
  read: (path: WalkPath) => Listing;
}

/** A reader over `tree` that logs what it is told to expect, what is read, and each end. */
function aheadReader(root: string, tree: Tree): AheadLog {
  const inner = reader(root, tree);
  const events: string[] = [];
  return {
    events,
    ahead: {
      expect: (paths) => events.push(`expect ${paths.map(String).join(' ')}`),
      end: () => events.push('end'),
    },
    read: (path) => {
      events.push(`read ${String(path)}`);
      return inner(path);
    },
  };
}

function walk(
  tree: Tree,
  opts: {
    declared?: string[];
    depth?: number;
    all?: boolean;
    ahead?: AheadLog;
    onFile?: () => void;
    root?: string;
  } = {},
) {
  const root = opts.root ?? '/r';
  const mounts = [
    mount('/', '8:1'),
    mount(root, '0:50', '/', { fsType: 'tmpfs' }),
    mount(`${root}/mnt/usb`, '8:17', '/', { fsType: 'vfat' }),
  ];
  const pruning = buildPruning(root, opts.declared ?? [], ['/persist'], mounts);
  const rules = buildIgnoreRules(
    [
      {
        pattern: '*.tmp',
        base: '/',
        source: { file: 'k.yaml', line: 4, column: 7, option: 'ignore[0]' },
      },
    ],
    { defaults: true },
  );
  const agg = new Aggregator({ depth: opts.depth ?? 3, bootMs: BOOT });
  const w = new Walk(agg, {
    read: opts.ahead?.read ?? reader(root, tree),
    ...(opts.ahead ? { ahead: opts.ahead.ahead } : {}),
    ...(opts.onFile ? { onFile: opts.onFile } : {}),
    root,
    pruning,
    rules,
    showIgnored: opts.all === true,
  });
  const node = w.run(root);
  return { node, result: w.result, agg };
}

const paths = (n: DiffNode): string[] => [n.path, ...childrenOf(n).flatMap(paths)];

describe('the walk', () => {
  const tree: Tree = {
    persist: { data: 100 },
    proc: { '1': { status: 5 } },
    mnt: { usb: { photo: 1000 } },
    tmp: { x: 7 },
    var: { log: { syslog: 50 }, lib: { app: { db: 30, 'db.tmp': 9 } } },
    etc: { hosts: 10, 'bad\xffname': 4, secret: 'denied', loop: 'link' },
    srv: 'unreadable',
  };

  test('never enters stores, pseudo file systems, other mounts or declared paths', () => {
    const { node, result } = walk(tree, { declared: ['/var/log'] });
    assert.deepEqual(paths(node).sort(), [
      '/',
      '/etc',
      '/etc/bad\\xffname',
      '/etc/hosts',
      '/etc/loop',
      '/mnt',
      '/srv',
      '/var',
      '/var/lib',
    ]);
    assert.deepEqual(result.skipped, [{ path: '/mnt/usb', fsType: 'vfat' }]);
    assert.equal(node.files, 4, 'hosts, the odd name, the link, db');
    assert.equal(node.bytes, 10 + 4 + 0 + 30);
  });

  test('errors: an unreadable directory, an entry that cannot be examined', () => {
    const { node, result } = walk(tree);
    assert.deepEqual(
      result.errors.map((e) => e.path),
      ['/etc/secret', '/srv'],
    );
    assert.equal(result.errors[0]!.reason, 'cannot be examined: permission denied (EACCES)');
    const srv = node.children?.find((c) => c.path === '/srv');
    assert.equal(srv?.whole, false);
    assert.ok(srv?.unreadable);
  });

  test('names that are not UTF-8 keep their bytes', () => {
    const { node } = walk(tree);
    const etc = node.children?.find((c) => c.path === '/etc');
    const odd = childrenOf(etc!).find((c) => c.pathBase64 !== undefined);
    assert.equal(odd?.path, '/etc/bad\\xffname');
    assert.equal(Buffer.from(odd!.pathBase64!, 'base64').toString('latin1'), '/etc/bad\xffname');
  });

  test('below a root whose name is not ASCII, such names lose none of their own bytes', () => {
    const { node } = walk(tree, { root: '/r\u00fc\u00fc' });
    const etc = node.children?.find((c) => c.path === '/etc');
    const odd = childrenOf(etc!).find((c) => c.pathBase64 !== undefined);
    assert.equal(odd?.path, '/etc/bad\\xffname');
    assert.equal(Buffer.from(odd!.pathBase64!, 'base64').toString('latin1'), '/etc/bad\xffname');
  });

  test('--all walks ignored paths, marked, and counts them apart', () => {
    const { node, agg } = walk(tree, { all: true });
    const tmp = node.children?.find((c) => c.path === '/tmp');
    assert.equal(tmp?.ignored, 'built-in');
    assert.deepEqual(agg.ignored, { files: 2, bytes: 16 });
  });

  test('a directory with many files lists the largest and sums the rest', () => {
    const many: Tree = {};
    for (let i = 0; i < MAX_FILE_NODES + 5; i++) many[`f${i}`] = i + 1;
    const { node } = walk({ big: { ...many, declared: {} } }, { declared: ['/big/declared'] });
    const big = node.children?.find((c) => c.path === '/big');
    const listed = childrenOf(big!);
    assert.equal(listed.length, MAX_FILE_NODES);
    assert.equal(big?.files, MAX_FILE_NODES + 5);
    assert.deepEqual(big?.unlisted, { files: 5, bytes: 1 + 2 + 3 + 4 + 5 });
    assert.ok(listed.every((c) => c.bytes > 5));
  });
});

describe('a reader that reads ahead', () => {
  const tree: Tree = {
    persist: { data: 100 },
    mnt: { usb: { photo: 1000 }, cd: { a: 1 } },
    tmp: { x: 7 },
    var: { log: { syslog: 50 }, lib: { app: { db: 30 } }, cache: { c: 3 } },
    etc: { hosts: 10, 'bad\xffdir': { f: 1 }, 'x.tmp': { y: 2 } },
    srv: 'unreadable',
  };

  test('is told each directory before the walk enters it, and never a pruned or ignored one', () => {
    const log = aheadReader('/r', tree);
    walk(tree, { declared: ['/var/log'], ahead: log });
    const told: string[] = [];
    const read: string[] = [];
    for (const e of log.events) {
      if (e.startsWith('expect ')) told.push(...e.slice(7).split(' '));
      if (e.startsWith('read ')) read.push(e.slice(5));
    }
    // Each directory read (but the root) was handed over first, and in the order entered.
    for (const [i, p] of read.slice(1).entries()) {
      const at = log.events.indexOf(`read ${p}`);
      const said = log.events.findIndex(
        (e, k) => k < at && e.startsWith('expect ') && e.split(' ').includes(p),
      );
      assert.ok(said >= 0, `${p} (read ${i + 1}) was not handed over before it was read`);
    }
    assert.ok(
      read.some((p) => p.includes('bad')),
      'a directory named in bytes is entered',
    );
    for (const never of ['/r/persist', '/r/mnt/usb', '/r/var/log', '/r/tmp', '/r/etc/x.tmp']) {
      assert.ok(!told.includes(never), `${never} was handed over`);
      assert.ok(!read.includes(never), `${never} was read`);
    }
    assert.deepEqual([...told].sort(), read.slice(1).sort(), 'every directory entered, once');
    for (const e of log.events.filter((x) => x.startsWith('expect '))) {
      const order = e
        .slice(7)
        .split(' ')
        .map((p) => read.indexOf(p));
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `${e}: in the order entered`,
      );
    }
    assert.equal(log.events.at(-1), 'end');
    assert.equal(log.events.filter((e) => e === 'end').length, 1);
  });

  test('gives the same report as a reader that does not', () => {
    for (const opts of [{ declared: ['/var/log'] }, { all: true }, { depth: 1 }]) {
      const plain = walk(tree, opts);
      const ahead = walk(tree, { ...opts, ahead: aheadReader('/r', tree) });
      assert.deepEqual(ahead.node, plain.node);
      assert.deepEqual(ahead.result, plain.result);
      assert.deepEqual(ahead.agg.ignored, plain.agg.ignored);
    }
  });

  test('is ended when the walk fails midway', () => {
    const log = aheadReader('/r', tree);
    assert.throws(
      () =>
        walk(tree, {
          ahead: log,
          onFile: () => {
            throw new Error('stop');
          },
        }),
      /stop/,
    );
    assert.equal(log.events.at(-1), 'end');
  });
});

describe('what the next boot wipes', () => {
  const tmpfs = (at: string, root = '/') =>
    mount(at, '0:40', root, { fsType: 'tmpfs', source: 'tmpfs' });
  const paths = (areas: { path: string }[]) => areas.map((a) => a.path);

  test('a tmpfs root and the memory-backed mounts in it, not pseudo, stores or declared', () => {
    const mounts = [
      { ...tmpfs('/'), id: 1, parentId: 0 },
      tmpfs('/home'),
      tmpfs('/run'),
      tmpfs('/dev/shm'),
      tmpfs('/persist'),
      tmpfs('/var/log', '/var/log'),
      mount('/mnt/disk', '8:3'),
      tmpfs('/tmp'),
    ];
    assert.deepEqual(paths(ephemeralAreas('/', mounts, [], ['/persist', '/var/log'])), [
      '/',
      '/home',
      '/tmp',
    ]);
  });

  test('a persistent root is not ephemeral; a tmpfs /home on it is', () => {
    const mounts = [{ ...mount('/', '8:1'), id: 1, parentId: 0 }, tmpfs('/home')];
    assert.deepEqual(paths(ephemeralAreas('/', mounts, [], [])), ['/home']);
    assert.equal(
      areaOf('/usr/bin/ls', ephemeralAreas('/', mounts, [], []), '/', mounts),
      undefined,
    );
    assert.deepEqual(paths(ephemeralAreas('/', [mounts[0]!], [], [])), []);
  });

  test('a root rolled back at boot is declared; a disk mounted in it is not rolled back', () => {
    const root = { ...mount('/', '0:30', '/', { fsType: 'btrfs' }), id: 1, parentId: 0 };
    const mounts = [root, mount('/srv', '8:3')];
    const areas = ephemeralAreas('/', mounts, ['/'], []);
    assert.deepEqual(areas, [{ path: '/', fsType: 'btrfs', why: 'declared' }]);
    assert.equal(areaOf('/etc/hosts', areas, '/', mounts)?.path, '/');
    assert.equal(areaOf('/srv/data', areas, '/', mounts), undefined);
  });

  test('an overlay is ephemeral when its upper layer is in memory', () => {
    const upper = tmpfs('/run/overlay');
    const overlay = (u: string) => ({
      ...mount('/', '0:50', '/', {
        fsType: 'overlay',
        superOptions: `rw,lowerdir=/lower,upperdir=${u}/upper,workdir=${u}/work`,
      }),
      id: 1,
      parentId: 0,
    });
    assert.deepEqual(paths(ephemeralAreas('/', [overlay('/run/overlay'), upper], [], [])), ['/']);
    assert.deepEqual(
      paths(ephemeralAreas('/', [overlay('/disk'), mount('/disk', '8:2')], [], [])),
      [],
    );
  });

  test('are seen from inside --root', () => {
    const inRoot = [tmpfs('/sysroot'), tmpfs('/sysroot/home'), tmpfs('/elsewhere')];
    assert.deepEqual(paths(ephemeralAreas('/sysroot', inRoot, [], [])), ['/', '/home']);
  });
});
