// The roll-up of a walk into a report, and the report as text and JSON. Pure: the walk is
// replayed as calls, as the walker makes them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Aggregator, type EntryFacts } from '../../src/diff/aggregate.js';
import { childrenOf } from '../../src/diff/file-nodes.js';
import {
  formatLines,
  formatTree,
  jsonRecords,
  type SortKey,
  selectNodes,
} from '../../src/diff/format.js';
import type { DiffNode, DiffReport } from '../../src/diff/types.js';

const BOOT = Date.parse('2026-12-06T08:00:00Z');
const OLD = BOOT - 86_400_000;
const NEW = BOOT + 60_000;

const file = (size: number, mtimeMs = OLD): EntryFacts => ({ kind: 'file', size, mtimeMs });

/** One directory as the walker goes over it: count the files, walk the subdirectories, then
 * give the files nodes of their own if the directory turned out not to be whole. */
function dir(
  agg: Aggregator,
  path: string,
  files: Array<[string, EntryFacts]>,
  opts: { blocked?: boolean; ignored?: string; inner?: () => void } = {},
): DiffNode {
  agg.enter({ path }, opts.ignored);
  for (const [, f] of files) agg.entry(f);
  if (opts.blocked) agg.blocked();
  opts.inner?.();
  if (agg.keepsFileNodes()) for (const [name, f] of files) agg.fileNode(f, name);
  return agg.leave();
}

/**
 * /            (scanned)
 *   etc/         holds a declared file: not whole
 *     foo.conf   100 B, new
 *     bar.conf   50 B
 *   opt/app/     whole: 3 entries (1000 B), a subdirectory with 2 more (24 B), one new
 *   srv/a b/     whole, a name with a space
 *   big.img      5000 B at the top
 */
function replay(depth: number): { root: DiffNode; agg: Aggregator } {
  const agg = new Aggregator({ depth, bootMs: BOOT });
  const root = dir(agg, '/', [['big.img', file(5000)]], {
    inner: () => {
      dir(
        agg,
        '/etc',
        [
          ['foo.conf', file(100, NEW)],
          ['bar.conf', file(50)],
        ],
        { blocked: true },
      );
      dir(agg, '/opt', [], {
        inner: () =>
          dir(
            agg,
            '/opt/app',
            [
              ['a', file(400)],
              ['b', file(500, NEW)],
              ['c', { kind: 'symlink', size: 100, mtimeMs: OLD }],
            ],
            {
              inner: () =>
                dir(agg, '/opt/app/lib', [
                  ['x', file(12)],
                  ['y', file(12)],
                ]),
            },
          ),
      });
      dir(agg, '/srv', [], { inner: () => dir(agg, '/srv/a b', [['n', file(7)]]) });
    },
  });
  return { root, agg };
}

const reportOf = (root: DiffNode, over: Partial<DiffReport> = {}): DiffReport => ({
  bootMs: BOOT,
  roots: [root],
  escaped: [],
  skipped: [],
  errors: [],
  ignored: { files: 0, bytes: 0 },
  backend: 'native',
  ephemeral: [{ path: '/', fsType: 'tmpfs', why: 'memory' }],
  persistent: [],
  ...over,
});

const view = { sort: 'size' as SortKey, minSize: 0, homes: [], all: false };

describe('roll-up', () => {
  test('totals at every level; only what holds nothing declared is whole', () => {
    const { root } = replay(3);
    assert.deepEqual(
      {
        files: root.files,
        directories: root.directories,
        bytes: root.bytes,
        changed: root.changed,
      },
      { files: 9, directories: 5, bytes: 6181, changed: 2 },
    );
    assert.equal(root.whole, false);
    const byPath = new Map(selectNodes(reportOf(root), view).map((s) => [s.node.path, s.node]));
    assert.equal(byPath.get('/etc')?.whole, false);
    assert.equal(byPath.get('/opt')?.whole, true);
    assert.equal(byPath.get('/opt')?.bytes, 1024);
    assert.equal(byPath.get('/opt')?.newestMs, NEW);
    assert.equal(byPath.get('/opt')?.changed, 1);
  });

  test('a whole directory is one unit: its children are not kept', () => {
    const { root } = replay(5);
    const paths = selectNodes(reportOf(root), view).map((s) => s.node.path);
    assert.deepEqual(paths, [
      '/',
      '/big.img',
      '/opt',
      '/etc',
      '/etc/foo.conf',
      '/etc/bar.conf',
      '/srv',
    ]);
  });

  test('nothing deeper than the depth asked for is kept', () => {
    const { root } = replay(1);
    const shown = selectNodes(reportOf(root), view);
    assert.deepEqual(
      shown.map((s) => [s.depth, s.node.path]),
      [
        [0, '/'],
        [1, '/big.img'],
        [1, '/opt'],
        [1, '/etc'],
        [1, '/srv'],
      ],
    );
    assert.equal(shown[3]!.node.children, undefined);
    assert.equal(shown[3]!.node.files, 2, 'totals still count everything');
  });

  test('with nothing kept below the root (depth 0), totals are still whole', () => {
    const { root } = replay(0);
    assert.equal(root.children, undefined);
    assert.equal(root.bytes, 6181);
  });

  test('a directory that only leads to declared paths is not shown, an unreadable one is', () => {
    const agg = new Aggregator({ depth: 3, bootMs: BOOT });
    const root = dir(agg, '/', [], {
      inner: () => {
        dir(agg, '/var', [], { inner: () => dir(agg, '/var/lib', [], { blocked: true }) });
        agg.enter({ path: '/srv' });
        agg.unreadable('permission denied (EACCES)');
        agg.leave();
        dir(agg, '/empty', []);
      },
    });
    assert.equal(root.directories, 1, 'only the undeclared empty directory counts');
    const shown = selectNodes(reportOf(root), view).map((s) => s.node.path);
    assert.deepEqual(shown, ['/', '/empty', '/srv'], 'equal sizes: by path');
  });

  test('ignored entries and what is inside ignored directories are counted apart', () => {
    const agg = new Aggregator({ depth: 2, bootMs: BOOT });
    const root = dir(
      agg,
      '/',
      [
        ['etc-mtab', { ...file(10), ignored: 'built-in' }],
        ['x', file(1)],
      ],
      {
        inner: () => dir(agg, '/tmp', [['junk', file(30)]], { ignored: 'built-in' }),
      },
    );
    assert.deepEqual(agg.ignored, { files: 2, bytes: 40 });
    assert.equal(root.bytes, 41);
    assert.equal(root.children?.find((c) => c.path === '/tmp')?.ignored, 'built-in');
    assert.equal(childrenOf(root).find((c) => c.path === '/etc-mtab')?.ignored, 'built-in');
  });
});

describe('formatting', () => {
  test('plain lines: full paths, largest first, and the command that persists each unit', () => {
    const { root } = replay(3);
    assert.deepEqual(formatLines(reportOf(root), view), [
      '   6.0 KiB  /  (9 files, 5 directories, 2 changed since boot)',
      '   4.9 KiB  /big.img  (file)  keepsake add /big.img',
      '   1.0 KiB  /opt  (5 files, 2 directories, 1 changed since boot)  keepsake add /opt',
      '     150 B  /etc  (2 files, 1 changed since boot)',
      '     100 B  /etc/foo.conf  (file, changed since boot)  keepsake add /etc/foo.conf',
      '      50 B  /etc/bar.conf  (file)  keepsake add /etc/bar.conf',
      '       7 B  /srv  (1 file, 1 directory)  keepsake add /srv',
      'undeclared: 9 files, 6.0 KiB; 2 changed since boot (ignored paths left out; --all shows them)',
    ]);
  });

  test('sort by path or by newest; a minimum size hides small paths', () => {
    const { root } = replay(1);
    const paths = (v: Partial<typeof view>) =>
      selectNodes(reportOf(root), { ...view, ...v }).map((s) => s.node.path);
    assert.deepEqual(paths({ sort: 'path' }), ['/', '/big.img', '/etc', '/opt', '/srv']);
    assert.deepEqual(paths({ sort: 'mtime' }), ['/', '/etc', '/opt', '/big.img', '/srv']);
    assert.deepEqual(paths({ minSize: 1000 }), ['/', '/big.img', '/opt']);
  });

  test('the tree names each path relative to its parent, with marks and colours', () => {
    const { root } = replay(3);
    const paint = (style: string, text: string) => `<${style}>${text}</>`;
    const lines = formatTree(reportOf(root), view, paint);
    assert.equal(
      lines[0],
      '   6.0 KiB <yellow>*</> <bold>/</>  <dim>9 files, 5 directories, 2 changed since boot</>',
    );
    assert.equal(
      lines[4],
      '     100 B <yellow>*</>     foo.conf  <dim>changed since boot</>  <cyan>→ keepsake add /etc/foo.conf</>',
    );
    assert.equal(
      lines[6],
      '       7 B     <bold>srv/</>  <dim>1 file, 1 directory</>  <cyan>→ keepsake add /srv</>',
    );
  });

  test('paths in homes are added for their user; odd names are quoted and escaped', () => {
    const agg = new Aggregator({ depth: 2, bootMs: BOOT });
    agg.enter({ path: '/home/jane' });
    agg.blocked();
    const odd: Array<[string, Buffer | undefined]> = [
      ['a b', undefined],
      ['new\nline', undefined],
      ['\uFFFD', Buffer.from([0xff])],
    ];
    odd.forEach(([name, bytes], i) => {
      agg.entry(file(3 - i));
      agg.fileNode(file(3 - i), name, bytes);
    });
    const root = agg.leave();
    const homes = [{ user: 'jane', path: '/home/jane' }];
    const lines = formatLines(reportOf(root), { ...view, homes });
    assert.deepEqual(lines.slice(1, 4), [
      "       3 B  /home/jane/a b  (file)  keepsake add '/home/jane/a b' --user jane",
      "       2 B  /home/jane/new\\nline  (file)  keepsake add $'/home/jane/new\\nline' --user jane",
      "       1 B  /home/jane/\\xff  (file)  keepsake add $'/home/jane/\\xff' --user jane",
    ]);
  });

  test('escaped state comes first, with the fix; JSON has one object per line', () => {
    const { root } = replay(1);
    const report = reportOf(root, {
      escaped: [
        {
          target: '/etc/app.conf',
          store: '/persist/etc/app.conf',
          kind: 'file',
          reason: 'link-replaced',
          found: 'file',
          files: 1,
          bytes: 42,
          changed: 1,
          fix: 'keepsake apply --adopt',
        },
      ],
      skipped: [{ path: '/mnt/scratch', fsType: 'tmpfs' }],
      errors: [{ path: '/srv/locked', reason: 'cannot be listed' }],
    });
    const lines = formatLines(report, view);
    assert.deepEqual(lines.slice(0, 3), [
      'ESCAPED STATE: 1 persisted path holds data on the ephemeral file system, lost at reboot:',
      '  /etc/app.conf: the link into /persist/etc/app.conf was replaced by a regular file (42 B)',
      '    fix: keepsake apply --adopt',
    ]);
    assert.ok(
      lines.includes(
        'not scanned: /mnt/scratch (tmpfs, another file system; give it as a PATH to scan it)',
      ),
    );
    assert.ok(lines.includes('/srv/locked: cannot be listed'));
    const records = jsonRecords(report, view) as Array<Record<string, unknown>>;
    assert.deepEqual(
      records.map((r) => r.type),
      ['escaped', 'path', 'path', 'path', 'path', 'path', 'skipped', 'error', 'summary'],
    );
    assert.deepEqual(records[2], {
      type: 'path',
      depth: 1,
      path: '/big.img',
      kind: 'file',
      files: 1,
      directories: 0,
      bytes: 5000,
      changed: 0,
      newestMs: OLD,
      whole: true,
      add: 'keepsake add /big.img',
    });
    assert.deepEqual(records[8], {
      type: 'summary',
      bootTime: '2026-12-06T08:00:00.000Z',
      files: 9,
      bytes: 6181,
      escaped: 1,
      ignored: { files: 0, bytes: 0 },
      backend: 'native',
      ephemeral: [{ path: '/', fsType: 'tmpfs', why: 'memory' }],
      persistent: [],
    });
  });
});
