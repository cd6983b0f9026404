import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mountContaining, sourceOf, stackAt, topMountAt } from '../../src/core/mount-table.js';
import type { MountInfo } from '../../src/model/observed.js';
import { parseMountInfo, readMountInfo } from '../../src/system/mountinfo.js';

const TABLE = [
  '22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '30 22 0:26 / /run rw,nosuid shared:5 - tmpfs tmpfs rw,mode=755',
  '40 22 253:2 / /persist rw,relatime shared:7 - ext4 /dev/vdb rw',
  '41 22 253:2 /home/alice /home/alice rw,relatime shared:7 master:3 - ext4 /dev/vdb rw',
  '42 41 253:2 /alice\\040old /home/alice rw,relatime - ext4 /dev/vdb rw',
  '43 22 253:2 /data\\011tab\\012nl\\134bs /srv/my\\040files rw - ext4 /dev/vdb rw',
  '50 22 0:40 / /mnt rw - tmpfs none rw',
  '51 50 0:41 / /mnt/inner rw - tmpfs none rw',
  '52 50 0:42 / /mnt rw - tmpfs none rw',
  '',
].join('\n');

describe('parseMountInfo', () => {
  const mounts = parseMountInfo(TABLE);

  it('reads every field', () => {
    assert.equal(mounts.length, 9);
    assert.deepEqual(mounts[0], {
      id: 22,
      parentId: 1,
      device: '253:1',
      root: '/',
      mountPoint: '/',
      options: 'rw,relatime',
      propagation: ['shared:1'],
      fsType: 'ext4',
      source: '/dev/vda1',
      superOptions: 'rw',
    });
  });

  it('keeps every optional field and none when there are none', () => {
    assert.deepEqual(mounts[3]!.propagation, ['shared:7', 'master:3']);
    assert.deepEqual(mounts[4]!.propagation, []);
  });

  it('unescapes space, tab, newline and backslash', () => {
    assert.equal(mounts[4]!.root, '/alice old');
    assert.equal(mounts[5]!.root, '/data\ttab\nnl\\bs');
    assert.equal(mounts[5]!.mountPoint, '/srv/my files');
  });

  it('skips malformed lines', () => {
    assert.equal(parseMountInfo('garbage\n1 2 3\n').length, 0);
  });

  it('parses a large table (its speed is measured by npm run bench, not here)', () => {
    const lines = Array.from(
      { length: 1000 },
      (_, i) =>
        `${i + 100} 22 253:2 /d${i} /home/u${i}/.cache rw,relatime shared:7 - ext4 /dev/vdb rw`,
    ).join('\n');
    const parsed = parseMountInfo(lines);
    assert.equal(parsed.length, 1000);
    assert.equal(parsed[999]?.mountPoint, '/home/u999/.cache');
  });

  it('reads this process table', () => {
    const own = readMountInfo();
    assert.ok(own.length > 0);
    assert.ok(mountContaining(own, '/proc/self') !== undefined);
  });
});

describe('topMountAt', () => {
  const mounts = parseMountInfo(TABLE);

  it('returns the mount on top of a stack', () => {
    assert.equal(topMountAt(mounts, '/home/alice')?.id, 42);
    assert.equal(topMountAt(mounts, '/mnt')?.id, 52);
  });

  it('ignores mounts hidden under an overmounted parent', () => {
    assert.equal(topMountAt(mounts, '/mnt/inner'), undefined);
  });

  it('matches exact mount points only', () => {
    assert.equal(topMountAt(mounts, '/home'), undefined);
    assert.equal(topMountAt(mounts, '/persist/')?.id, 40);
    assert.equal(topMountAt(mounts, '/srv/my files')?.id, 43);
  });

  it('sees mounts added to the same table later', () => {
    const grown = [...mounts];
    assert.equal(topMountAt(grown, '/x'), undefined);
    grown.push({ ...mounts[2]!, id: 99, mountPoint: '/x' });
    assert.equal(topMountAt(grown, '/x')?.id, 99);
  });
});

describe('stackAt', () => {
  const mounts = parseMountInfo(TABLE);

  it('lists a stack bottom first, ending with the visible mount', () => {
    const stack = stackAt(mounts, '/mnt');
    assert.ok(stack.length >= 2);
    assert.equal(stack.at(-1)?.id, 52);
  });

  it('is empty where nothing is mounted', () => {
    assert.deepEqual(stackAt(mounts, '/home'), []);
  });
});

describe('mountContaining', () => {
  const mounts = parseMountInfo(TABLE);

  it('finds the longest mount point on a component boundary', () => {
    assert.equal(mountContaining(mounts, '/persist/home/alice')?.id, 40);
    assert.equal(mountContaining(mounts, '/persistent')?.id, 22);
    assert.equal(mountContaining(mounts, '/home/alice/docs')?.id, 42);
    assert.equal(mountContaining(mounts, '/')?.id, 22);
  });

  it('skips hidden mounts', () => {
    assert.equal(mountContaining(mounts, '/mnt/inner/file')?.id, 52);
  });

  it('finds nothing in an empty table', () => {
    assert.equal(mountContaining([], '/a'), undefined);
  });
});

describe('sourceOf', () => {
  const mounts = parseMountInfo(TABLE);

  it('joins the mount root with the rest of the path', () => {
    assert.deepEqual(sourceOf(mounts, '/persist/home/alice'), {
      device: '253:2',
      root: '/home/alice',
    });
    assert.deepEqual(sourceOf(mounts, '/home/alice/docs'), {
      device: '253:2',
      root: '/alice old/docs',
    });
    assert.deepEqual(sourceOf(mounts, '/srv/my files/x'), {
      device: '253:2',
      root: '/data\ttab\nnl\\bs/x',
    });
  });

  it('gives the mount root for a mount point itself', () => {
    assert.deepEqual(sourceOf(mounts, '/home/alice'), { device: '253:2', root: '/alice old' });
    assert.deepEqual(sourceOf(mounts, '/persist'), { device: '253:2', root: '/' });
    assert.deepEqual(sourceOf(mounts, '/etc/hostname'), { device: '253:1', root: '/etc/hostname' });
  });

  it('finds nothing without a containing mount', () => {
    assert.equal(sourceOf([], '/a'), undefined);
  });
});

describe('mount ids, small or large', () => {
  // The table is indexed by id in a typed array where ids are small, else in a map: the
  // answers must not depend on which. Each table below is TABLE with its ids (and parent ids)
  // moved, and with a mount of a duplicate id and one whose parent is missing added.
  const base = [
    ...parseMountInfo(TABLE),
    ...parseMountInfo('60 22 0:50 / /dup rw - tmpfs a rw\n60 22 0:51 / /dup rw - tmpfs b rw\n'),
    ...parseMountInfo('61 777 0:52 / /orphan rw - tmpfs c rw\n'),
  ];
  const moved = (by: (id: number) => number) =>
    base.map((m) => ({ ...m, id: by(m.id), parentId: by(m.parentId) }));
  const tables = {
    small: base,
    large: moved((id) => id + 1_000_000_000),
    sparse: moved((id) => id * 1000),
    odd: moved((id) => (id === 1 ? Number.NaN : id)),
  };
  const paths = [
    '/',
    '/run',
    '/persist',
    '/home/alice',
    '/srv/my files',
    '/mnt',
    '/mnt/inner',
    '/dup',
    '/orphan',
    '/nothing',
  ];

  it('answers the same whatever the ids', () => {
    const answers = (mounts: MountInfo[]) =>
      paths.map((p) => ({
        top: topMountAt(mounts, p)?.source,
        stack: stackAt(mounts, p).map((m) => m.source),
        holding: mountContaining(mounts, p)?.source,
      }));
    const expected = answers(tables.small);
    assert.deepEqual(expected[7], { top: 'b', stack: ['b'], holding: 'b' });
    for (const [name, mounts] of Object.entries(tables)) {
      assert.deepEqual(answers(mounts), expected, name);
    }
  });
});
