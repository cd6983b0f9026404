import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { formatUtabLine, parseUtab } from '../../src/core/utab-line.js';
import { addUtabEntries, readUtab, removeUtabEntries } from '../../src/system/utab.js';

describe('parseUtab', () => {
  it('reads KEY=value pairs, unescaping values', () => {
    const entries = parseUtab(
      [
        'SRC=/dev/sda1 TARGET=/mnt ROOT=/ OPTS=x-gvfs-hide',
        '',
        'SRC=/persist TARGET=/home/a\\040b ROOT=/home/a\\134x BINDSRC=/persist/home OPTS=x-gvfs-hide,comment=keepsake',
        'ID=42 SRC=/dev/vdb TARGET=/srv ATTRS=attr=1',
      ].join('\n'),
    );
    assert.deepEqual(entries, [
      { fields: { SRC: '/dev/sda1', TARGET: '/mnt', ROOT: '/', OPTS: 'x-gvfs-hide' } },
      {
        fields: {
          SRC: '/persist',
          TARGET: '/home/a b',
          ROOT: '/home/a\\x',
          BINDSRC: '/persist/home',
          OPTS: 'x-gvfs-hide,comment=keepsake',
        },
      },
      { fields: { ID: '42', SRC: '/dev/vdb', TARGET: '/srv', ATTRS: 'attr=1' } },
    ]);
  });

  it('ignores tokens without a key', () => {
    assert.deepEqual(parseUtab('junk =x TARGET=/a'), [{ fields: { TARGET: '/a' } }]);
  });
});

describe('formatUtabLine', () => {
  it("writes libmount's field order and escapes", () => {
    const line = formatUtabLine({
      OPTS: 'x-gvfs-hide',
      TARGET: '/home/a b\tc',
      EXTRA: 'y',
      SRC: '/dev/x',
      ROOT: '/a\\b\n',
    });
    assert.equal(
      line,
      'SRC=/dev/x TARGET=/home/a\\040b\\011c ROOT=/a\\134b\\012 OPTS=x-gvfs-hide EXTRA=y',
    );
  });

  it('round-trips through parseUtab', () => {
    const fields = { SRC: '/s p', TARGET: '/t\\x', ROOT: '/', OPTS: 'x-gvfs-hide' };
    assert.deepEqual(parseUtab(formatUtabLine(fields)), [{ fields }]);
  });
});

describe('utab files', () => {
  let dir: string;
  let utab: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-utab-')));
    utab = path.join(dir, 'run/mount/utab');
    fs.mkdirSync(path.join(dir, 'run'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const line = (target: string, opts = 'x-gvfs-hide') => ({
    SRC: '/dev/vdb',
    TARGET: target,
    ROOT: `/persist${target}`,
    OPTS: opts,
  });

  it('reads a missing file as empty', () => {
    assert.deepEqual(readUtab(utab), []);
  });

  it('creates the directory and file, skipping entries already present', () => {
    const locked: number[] = [];
    const lock = (fd: number) => void locked.push(fd);
    assert.equal(addUtabEntries(utab, [line('/a'), line('/b')], lock), 2);
    assert.equal(fs.statSync(path.dirname(utab)).mode & 0o7777, 0o755);
    assert.equal(fs.statSync(utab).mode & 0o7777, 0o644);
    assert.ok(fs.existsSync(path.join(dir, 'run/mount/utab.lock')));
    assert.equal(locked.length, 1);

    const inode = fs.statSync(utab).ino;
    assert.equal(addUtabEntries(utab, [line('/a'), line('/a')], lock), 0);
    assert.equal(fs.statSync(utab).ino, inode, 'unchanged file must not be rewritten');

    assert.equal(addUtabEntries(utab, [line('/a', 'x-gvfs-show'), line('/c')], null), 2);
    assert.deepEqual(
      readUtab(utab).map((e) => [e.fields.TARGET, e.fields.OPTS]),
      [
        ['/a', 'x-gvfs-hide'],
        ['/b', 'x-gvfs-hide'],
        ['/a', 'x-gvfs-show'],
        ['/c', 'x-gvfs-hide'],
      ],
    );
    assert.deepEqual(fs.readdirSync(path.dirname(utab)).sort(), ['utab', 'utab.lock']);
  });

  it('keeps lines written by others and removes by target', () => {
    fs.mkdirSync(path.dirname(utab));
    fs.writeFileSync(utab, 'SRC=/dev/sda1 TARGET=/media/usb ROOT=/ OPTS=uhelper=udisks2\n');
    addUtabEntries(utab, [line('/a')], null);
    assert.equal(removeUtabEntries(utab, ['/a'], null), 1);
    assert.equal(
      fs.readFileSync(utab, 'utf8'),
      'SRC=/dev/sda1 TARGET=/media/usb ROOT=/ OPTS=uhelper=udisks2\n',
    );
  });

  it('refuses a utab directory reached through a symlink', () => {
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(dir, 'run/mount'));
    assert.throws(() => addUtabEntries(utab, [line('/a')], null), /symbolic link/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });
});
