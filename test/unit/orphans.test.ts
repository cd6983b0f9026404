import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes } from '../../src/core/text.js';
import type { MountInfo } from '../../src/model/observed.js';
import type { Model } from '../../src/model/types.js';
import { findOrphans } from '../../src/orphans/find.js';
import { byStore, describeOrphan } from '../../src/orphans/format.js';
import { protectedSet } from '../../src/orphans/protected.js';
import type { ListedNode, Orphan, StoreListing, TreeTotals } from '../../src/orphans/types.js';
import { entry, model } from '../helpers/builders.js';

/** A root with nothing in it: no link to resolve, no unit installed. */
const NO_ROOT = '/nonexistent-keepsake-root';
const find = (m: Model, l: StoreListing, mounts: MountInfo[] = []) =>
  findOrphans(m, l, protectedSet(m, { root: NO_ROOT, mounts }));

const T0 = Date.parse('2024-01-01T00:00:00Z');
const T1 = Date.parse('2024-05-01T12:30:00Z');

type Over = Partial<ListedNode>;
const d = (name: string, children: ListedNode[] = [], over: Over = {}): ListedNode => ({
  name,
  kind: 'directory',
  uid: 0,
  mode: 0o755,
  size: 4096,
  mtimeMs: T0,
  children,
  ...over,
});
const f = (name: string, size: number, over: Over = {}): ListedNode => ({
  name,
  kind: 'file',
  uid: 0,
  mode: 0o644,
  size,
  mtimeMs: T0,
  ...over,
});
const below = (over: Partial<TreeTotals> = {}): TreeTotals => ({
  files: 0,
  directories: 0,
  bytes: 0,
  newestMs: 0,
  mounts: [],
  errors: [],
  ...over,
});
/** A directory the scan summed rather than listed. */
const summed = (name: string, totals: Partial<TreeTotals>, over: Over = {}): ListedNode => {
  const { children: _, ...node } = d(name, [], over);
  return { ...node, below: below(totals) };
};

function listing(...stores: Array<[string, ListedNode]>): StoreListing {
  return {
    stores: stores.map(([store, node]) => ({ store, state: 'ok', node, skipped: [] })),
  };
}

const paths = (os: Orphan[]) => os.map((o) => o.path);
const byPath = (os: Orphan[], p: string) => {
  const o = os.find((x) => x.path === p);
  assert.ok(o, `${p} is an orphan`);
  return o;
};

describe('findOrphans', () => {
  it('finds the data of a removed entry, next to a kept one, with its totals', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing([
      '/persist',
      d('', [
        d('var', [
          d('log', [f('syslog', 100)]),
          d('lib', [d('old', [f('a', 10, { mtimeMs: T1 }), d('sub', [f('b', 5), f('c', 7)])])]),
        ]),
      ]),
    ]);
    const orphans = find(m, l);
    // /var/lib is wholly unreferenced: one orphan, its children not listed.
    assert.deepEqual(paths(orphans), ['/persist/var/lib']);
    const o = orphans[0]!;
    assert.equal(o.store, '/persist');
    assert.equal(o.kind, 'directory');
    assert.equal(o.files, 3);
    assert.equal(o.directories, 3); // lib, old, sub
    assert.equal(o.bytes, 22);
    assert.equal(o.newest, '2024-05-01T12:30:00.000Z');
    assert.equal(o.prunable, true);
    assert.equal(o.reason, undefined);
    assert.deepEqual(o.blockers, []);
  });

  it('uses the totals of directories summed without listing', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing([
      '/persist',
      d('', [
        d('var', [
          d('log'),
          summed('cache', { files: 40, directories: 6, bytes: 123456, newestMs: T1 }),
        ]),
      ]),
    ]);
    const o = byPath(find(m, l), '/persist/var/cache');
    assert.deepEqual(
      [o.files, o.directories, o.bytes, o.newest],
      [40, 7, 123456, new Date(T1).toISOString()],
    );
  });

  it('keeps everything within an entry, nested entries included', () => {
    const m = model([
      entry('directory', '/var/lib/private'),
      entry('directory', '/var/lib/private/scrutiny'),
    ]);
    const l = listing([
      '/persist',
      d('', [
        d('var', [
          d('lib', [
            d('private', [d('scrutiny', [f('db', 9)]), f('unrelated-but-inside', 3)]),
            f('stray', 1),
          ]),
        ]),
      ]),
    ]);
    assert.deepEqual(paths(find(m, l)), ['/persist/var/lib/stray']);
  });

  it('keeps the ancestors of an entry and finds their other children', () => {
    const m = model([
      entry('file', '/etc/ssh/ssh_host_ed25519_key'),
      entry('directory', '/home/jane/Downloads', {
        home: { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' },
      }),
    ]);
    const l = listing([
      '/persist',
      d('', [
        d('etc', [
          d('ssh', [f('ssh_host_ed25519_key', 400), f('ssh_host_rsa_key', 2000)]),
          f('machine-id', 33),
        ]),
        d('home', [d('jane', [d('Downloads', [f('x', 1)])], { uid: 1000 })]),
      ]),
    ]);
    const orphans = find(m, l);
    assert.deepEqual(paths(orphans), [
      '/persist/etc/ssh/ssh_host_rsa_key',
      '/persist/etc/machine-id',
    ]);
    assert.ok(orphans.every((o) => o.kind === 'file' && o.prunable));
  });

  it('skips the store’s own records, but only at the store root', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing([
      '/persist',
      d('', [
        d('.keepsake', [d('generations', [f('000001.json', 500)])]),
        d('var', [d('log'), d('.keepsake', [f('x', 1)])]),
      ]),
    ]);
    assert.deepEqual(paths(find(m, l)), ['/persist/var/.keepsake']);
  });

  it('lists a user-owned store but marks it not prunable, with the reason', () => {
    const jane = { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' };
    const m = model([
      entry('directory', '/var/log'),
      entry('directory', '/home/jane/.ssh', {
        storeRoot: '/persist/home/jane',
        store: '/persist/home/jane/.ssh',
        home: jane,
      }),
    ]);
    const l = listing(
      [
        '/persist',
        d('', [d('var', [d('log')]), d('home', [d('jane', [], { uid: 1000 })]), f('old', 5)]),
      ],
      [
        '/persist/home/jane',
        d('', [d('.ssh', [f('id_ed25519', 400)]), d('.old-cache', [f('c', 70)])], {
          uid: 1000,
          mode: 0o700,
        }),
      ],
    );
    const orphans = find(m, l);
    // The user's store is scanned as itself only, not as part of /persist.
    assert.deepEqual(paths(orphans), ['/persist/old', '/persist/home/jane/.old-cache']);
    assert.equal(byPath(orphans, '/persist/old').prunable, true);
    const mine = byPath(orphans, '/persist/home/jane/.old-cache');
    assert.equal(mine.store, '/persist/home/jane');
    assert.equal(mine.prunable, false);
    assert.equal(mine.blockers[0]?.code, 'store-not-root');
    assert.match(mine.reason ?? '', /the store \/persist\/home\/jane belongs to uid 1000/);
  });

  it('does not prune inside a store others can write', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing(['/persist', d('', [d('var', [d('log')]), f('x', 1)], { mode: 0o777 })]);
    const [o] = find(m, l);
    assert.equal(o?.prunable, false);
    assert.match(o?.reason ?? '', /written by its group or others \(mode 0777\)/);
  });

  it('does not prune inside a directory a user controls on the way', () => {
    const m = model([entry('directory', '/home/jane/Downloads')]);
    const l = listing([
      '/persist',
      d('', [
        d('home', [d('jane', [d('Downloads'), d('Old', [f('a', 3)])], { uid: 1000 }), f('h', 1)]),
      ]),
    ]);
    const orphans = find(m, l);
    assert.equal(byPath(orphans, '/persist/home/h').prunable, true);
    const old = byPath(orphans, '/persist/home/jane/Old');
    assert.equal(old.prunable, false);
    assert.deepEqual(
      old.blockers.map((b) => [b.code, b.path]),
      [['parent-not-root', '/persist/home/jane']],
    );
    assert.match(old.reason ?? '', /it lies in \/persist\/home\/jane, which belongs to uid 1000/);
  });

  it('may prune an orphan owned by a user when its parents are root’s', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing([
      '/persist',
      d('', [
        d('var', [d('log'), d('colord', [f('db', 8, { uid: 990 })], { uid: 990, mode: 0o700 })]),
      ]),
    ]);
    const o = byPath(find(m, l), '/persist/var/colord');
    assert.equal(o.prunable, true);
  });

  it('never crosses a mount: a mount point, or a mount inside an orphan, is not prunable', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing([
      '/persist',
      d('', [
        d('var', [d('log')]),
        d('mnt', [], { mount: true, children: undefined }),
        d('old', [f('a', 1), d('inner', [], { mount: true, children: undefined })]),
        summed('older', { files: 2, bytes: 2, mounts: ['/persist/older/x'] }),
      ]),
    ]);
    const orphans = find(m, l);
    const mnt = byPath(orphans, '/persist/mnt');
    assert.equal(mnt.prunable, false);
    assert.equal(mnt.blockers[0]?.code, 'mount-point');
    assert.deepEqual(mnt.mounts, ['/persist/mnt']);
    const old = byPath(orphans, '/persist/old');
    assert.equal(old.prunable, false);
    assert.deepEqual(old.mounts, ['/persist/old/inner']);
    assert.match(old.reason ?? '', /mounted inside it at \/persist\/old\/inner/);
    assert.deepEqual(byPath(orphans, '/persist/older').mounts, ['/persist/older/x']);
  });

  it('does not prune what it could not read', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing([
      '/persist',
      d('', [
        d('var', [d('log')]),
        summed('old', { errors: ['/persist/old/x: input/output error (EIO)'] }),
      ]),
    ]);
    const [o] = find(m, l);
    assert.equal(o?.blockers[0]?.code, 'unreadable');
  });

  it('counts a symbolic link as itself, never what it points to', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing([
      '/persist',
      d('', [d('var', [d('log')]), { ...f('link', 12), kind: 'symlink' }]),
    ]);
    const [o] = find(m, l);
    assert.deepEqual([o?.kind, o?.files, o?.bytes], ['symlink', 1, 12]);
  });

  it('a location inside another location is scanned on its own', () => {
    const m = model([
      entry('directory', '/var/log', { storeRoot: '/persist' }),
      entry('directory', '/srv', { storeRoot: '/persist/system', store: '/persist/system/srv' }),
    ]);
    const l = listing(
      ['/persist', d('', [d('var', [d('log')]), d('system', [d('srv', [f('x', 1)]), f('y', 2)])])],
      ['/persist/system', d('', [d('srv', [f('x', 1)]), f('y', 2)])],
    );
    const orphans = find(m, l);
    assert.deepEqual(paths(orphans), ['/persist/system/y']);
    assert.equal(orphans[0]?.store, '/persist/system');
  });

  it('data of an entry of one location is referenced in another location holding it', () => {
    // /persist persists all of /home; jane's own location lies inside that entry's data.
    const m = model([
      entry('directory', '/home', { storeRoot: '/persist' }),
      entry('directory', '/home/jane/.ssh', {
        storeRoot: '/persist/home/jane',
        store: '/persist/home/jane/.ssh',
      }),
    ]);
    const l = listing(
      ['/persist', d('', [d('home'), f('old', 1)])],
      ['/persist/home/jane', d('', [d('.ssh'), f('notes', 2)])],
    );
    assert.deepEqual(paths(find(m, l)), ['/persist/old']);
  });

  it('ignores stores that were not scanned', () => {
    const m = model([entry('directory', '/var/log')]);
    const l: StoreListing = { stores: [{ store: '/persist', state: 'missing', skipped: [] }] };
    assert.deepEqual(find(m, l), []);
  });

  it('groups by store in listing order, largest first', () => {
    const m = model([
      entry('directory', '/var/log'),
      entry('directory', '/srv', { storeRoot: '/data', store: '/data/srv' }),
    ]);
    const l = listing(
      ['/persist', d('', [d('var', [d('log')]), f('small', 1), f('big', 1000), f('mid', 10)])],
      ['/data', d('', [d('srv'), f('z', 5000)])],
    );
    const orphans = find(m, l);
    assert.deepEqual(paths(orphans), ['/persist/big', '/persist/mid', '/persist/small', '/data/z']);
    assert.deepEqual(
      byStore(orphans).map(([s, os]) => [s, os.length]),
      [
        ['/persist', 3],
        ['/data', 1],
      ],
    );
  });
});

describe('formatting orphans', () => {
  it('prints binary sizes with one decimal', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(1.2 * 1024 * 1024), '1.2 MiB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  });

  it('describes an orphan on one line', () => {
    const m = model([entry('directory', '/var/log')]);
    const l = listing([
      '/persist',
      d('', [d('var', [d('log')]), d('old', [f('a', 2048)], { mtimeMs: T1 })]),
    ]);
    const [o] = find(m, l);
    assert.equal(
      describeOrphan(o!).trim(),
      '2.0 KiB  /persist/old  (directory, 1 file, 1 directory; newest 2024-05-01 12:30)',
    );
  });
});
