// src/system's writers of whole directories, links, temporaries and locks, each against what
// may stand in its way: a copy placed meanwhile by another run, a failure halfway through, a
// link or directory planted where the write goes, a dead writer's leftovers, a second holder.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  placeDirectoryOnce,
  replaceDirectory,
  replaceEntries,
} from '../../src/system/atomic-dir.js';
import { clearDeadTemporaries, replaceSymlink } from '../../src/system/atomic-write.js';
import { loadBinding } from '../../src/system/binding.js';
import {
  moveToFreeName,
  placeLink,
  removeEmptyDir,
  removeLinkTo,
} from '../../src/system/home-fs.js';
import { withExclusiveFlock } from '../../src/system/lock.js';

const tmp = fs.mkdtempSync(join(tmpdir(), 'keepsake-system-writes-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
const fresh = () => {
  const dir = join(tmp, String(counter++));
  fs.mkdirSync(dir);
  return dir;
};
const tree = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).sort();

describe('whole directories', () => {
  it('keeps a copy another run placed meanwhile, and leaves no temporary behind', () => {
    const area = fresh();
    fs.mkdirSync(`${area}/blob`);
    fs.writeFileSync(`${area}/blob/a`, 'same');
    const before = fs.statSync(`${area}/blob`).ino;
    placeDirectoryOnce(area, 'blob', { entries: [{ path: 'a', content: 'same', mode: 0o444 }] });
    assert.equal(fs.statSync(`${area}/blob`).ino, before, 'the copy already there is kept');
    assert.deepEqual(tree(area), ['blob', 'blob/a']);
  });

  it('a failure while filling a new copy leaves nothing of it', () => {
    const area = fresh();
    const twice = [
      { path: 'a', content: '1' },
      { path: 'a', content: '2' },
    ];
    assert.throws(() => placeDirectoryOnce(area, 'blob', { entries: twice }), /EEXIST/);
    assert.deepEqual(tree(area), []);
  });

  it('places a tree with its modes, whatever the umask', () => {
    const area = fresh();
    const old = process.umask(0o077);
    try {
      placeDirectoryOnce(area, 'blob', {
        dirs: ['d'],
        entries: [
          { path: 'd/x', content: 'run', mode: 0o555 },
          { path: 'r', content: 'read', mode: 0o444 },
        ],
      });
    } finally {
      process.umask(old);
    }
    assert.equal(fs.statSync(`${area}/blob/d/x`).mode & 0o777, 0o555);
    assert.equal(fs.readFileSync(`${area}/blob/r`, 'utf8'), 'read');
  });

  it('replaces a directory whole, and keeps the old one whole when the new one fails', () => {
    const dir = join(fresh(), 'out');
    replaceDirectory(dir, { entries: [{ path: 'old', content: 'o' }], mode: 0o755 });
    replaceDirectory(dir, {
      entries: [
        { path: 'sub/new', content: 'n' },
        { path: 'sub/link', symlink: '../elsewhere' },
      ],
      mode: 0o755,
    });
    assert.deepEqual(tree(dir), ['sub', 'sub/link', 'sub/new']);
    assert.equal(fs.readlinkSync(`${dir}/sub/link`), '../elsewhere');
    const broken = [
      { path: 'x', content: '1' },
      { path: 'x', content: '2' },
    ];
    assert.throws(() => replaceDirectory(dir, { entries: broken }), /EEXIST/);
    assert.deepEqual(tree(dir), ['sub', 'sub/link', 'sub/new'], 'the old output is whole');
    assert.deepEqual(fs.readdirSync(join(dir, '..')), ['out'], 'no sibling left behind');
  });

  it('replaces a link planted at an entry, never writing through it', () => {
    const dir = fresh();
    fs.writeFileSync(`${dir}/victim`, 'keep me');
    fs.symlinkSync(`${dir}/victim`, `${dir}/a.service`);
    replaceEntries(dir, [{ path: 'a.service', content: '[Unit]\n' }]);
    assert.equal(fs.readFileSync(`${dir}/victim`, 'utf8'), 'keep me');
    assert.ok(fs.lstatSync(`${dir}/a.service`).isFile());
    assert.equal(fs.statSync(`${dir}/a.service`).mode & 0o777, 0o644);
  });
});

describe('links and temporaries', () => {
  it('a directory planted where a link goes is left whole, and no temporary link stays', () => {
    const dir = fresh();
    fs.mkdirSync(`${dir}/x`);
    fs.writeFileSync(`${dir}/x/data`, 'mine');
    assert.throws(() => replaceSymlink(`${dir}/x`, '/elsewhere'));
    assert.deepEqual(tree(dir), ['x', 'x/data']);
  });

  it('clears only the temporaries of dead writers of that very file', () => {
    const dir = fresh();
    const dead = spawnSync('true').pid!;
    const names = [
      `.f.prom.${dead}.0123abcd.tmp`, // dead writer: cleared
      `.f.prom.${process.pid}.0123abcd.tmp`, // alive: kept
      `.g.prom.${dead}.0123abcd.tmp`, // another file's: kept
      'f.prom', // the file itself: kept
    ];
    for (const n of names) fs.writeFileSync(`${dir}/${n}`, 'x');
    fs.symlinkSync(`${dir}/f.prom`, `${dir}/.f.prom.${dead}.89abcdef.tmp`); // not a file: kept
    clearDeadTemporaries(dir, 'f.prom');
    assert.deepEqual(tree(dir), [...names.slice(1), `.f.prom.${dead}.89abcdef.tmp`].sort());
  });
});

describe('a home run', () => {
  it('never overwrites, and removes only what is still keepsake’s', () => {
    const dir = fresh();
    fs.writeFileSync(`${dir}/a`, 'a');
    fs.writeFileSync(`${dir}/b`, 'b');
    assert.throws(() => moveToFreeName(`${dir}/a`, `${dir}/b`), /appeared meanwhile/);
    fs.symlinkSync('/theirs', `${dir}/l`);
    assert.equal(removeLinkTo(`${dir}/l`, '/ours'), false);
    fs.mkdirSync(`${dir}/d`);
    fs.writeFileSync(`${dir}/d/f`, 'f');
    assert.equal(removeEmptyDir(`${dir}/d`), 'kept');
    assert.throws(() => placeLink(`${dir}/a`, '/ours', false), /EEXIST/);
    assert.deepEqual(tree(dir), ['a', 'b', 'd', 'd/f', 'l']);
    assert.equal(fs.readlinkSync(`${dir}/l`), '/theirs');
  });
});

describe('a lock held by one process at a time', () => {
  const { binding } = loadBinding();
  const refuse = {
    busy: () => new Error('busy'),
    cannotOpen: (e: unknown) => e,
  };

  it('refuses a second holder, and is free again after', { skip: !binding }, () => {
    const path = `${fresh()}/lock`;
    const inner = () => withExclusiveFlock(binding!, path, refuse, () => 'second');
    assert.throws(() => withExclusiveFlock(binding!, path, refuse, inner), /busy/);
    assert.equal(
      withExclusiveFlock(binding!, path, refuse, () => 'again'),
      'again',
    );
  });

  it('never opens a lock through a planted link', { skip: !binding }, () => {
    const dir = fresh();
    fs.symlinkSync(`${dir}/victim`, `${dir}/lock`);
    assert.throws(
      () => withExclusiveFlock(binding!, `${dir}/lock`, refuse, () => 0),
      (e: NodeJS.ErrnoException) => e.code === 'ELOOP',
    );
    assert.equal(fs.existsSync(`${dir}/victim`), false);
  });
});
