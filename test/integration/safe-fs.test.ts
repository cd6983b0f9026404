// Symlink-safe operations on temp trees. `other` stands for what an attacker would like root to
// change; every refusal test checks that it is left exactly as it was.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SystemError, UnsafePathError } from '../../src/errors.js';
import {
  chmodSafe,
  chownSafe,
  createFileSafe,
  lstatOrNull,
  mkdirSafe,
  symlinkSafe,
  withVerifiedPath,
  writeFileAtomicSafe,
} from '../../src/system/safe-fs.js';
import { treeLines } from '../helpers/tree.js';

let base: string;
let other: string;
let savedUmask: number;

const tempDir = (prefix: string) =>
  fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `keepsake-${prefix}-`)));

const modeOf = (p: string) => fs.lstatSync(p).mode & 0o7777;

beforeEach(() => {
  savedUmask = process.umask(0o077); // modes must come out exact regardless
  base = tempDir('safefs');
  other = tempDir('other');
  fs.mkdirSync(path.join(other, 'inner'));
  fs.writeFileSync(path.join(other, 'file'), 'original');
  fs.chmodSync(path.join(other, 'file'), 0o644);
  fs.mkdirSync(path.join(base, 'real'));
  fs.writeFileSync(path.join(base, 'real/file'), 'mine');
  fs.symlinkSync(other, path.join(base, 'via')); // an intermediate component
  fs.symlinkSync(path.join(other, 'file'), path.join(base, 'fileLink')); // a final one
  fs.symlinkSync(path.join(other, 'inner'), path.join(base, 'dirLink'));
  fs.symlinkSync(path.join(other, 'new'), path.join(base, 'dangling'));
});

afterEach(() => {
  process.umask(savedUmask);
  fs.rmSync(base, { recursive: true, force: true });
  fs.rmSync(other, { recursive: true, force: true });
});

describe('withVerifiedPath', () => {
  it('gives a usable alias and the stats of a real path', () => {
    const entries = withVerifiedPath(`${base}/real`, 'directory', (proc, st) => {
      assert.ok(st.isDirectory());
      assert.match(proc, /^\/proc\/self\/fd\/\d+$/);
      return fs.readdirSync(proc);
    });
    assert.deepEqual(entries, ['file']);
    assert.ok(withVerifiedPath(`${base}/real/file`, 'file', (_, st) => st.isFile()));
  });

  it('refuses symlinks anywhere in the path, naming the path', () => {
    for (const p of [`${base}/via/inner`, `${base}/dirLink`, `${base}/fileLink`]) {
      for (const expect of ['directory', 'file', 'any'] as const) {
        assert.throws(
          () => withVerifiedPath(p, expect, () => assert.fail('must not run')),
          (e: unknown) =>
            e instanceof UnsafePathError &&
            e.path === p &&
            /symbolic link was found in .*refuses to follow it/.test(e.message),
        );
      }
    }
  });

  it('rejects relative or unnormalized paths and the wrong type', () => {
    for (const p of ['real', `${base}/real/`, `${base}/./real`, `${base}//real`]) {
      assert.throws(() => withVerifiedPath(p, 'any', () => 0), UnsafePathError);
    }
    assert.throws(
      () => withVerifiedPath(`${base}/real`, 'file', () => 0),
      (e: unknown) => e instanceof SystemError && e.errno === 'EISDIR',
    );
    assert.throws(
      () => withVerifiedPath(`${base}/missing`, 'any', () => 0),
      (e: unknown) =>
        e instanceof SystemError && e.errno === 'ENOENT' && e.path === `${base}/missing`,
    );
  });
});

describe('operations on real paths', () => {
  it('mkdirSafe sets owner and exact mode, and fails on an existing path', () => {
    mkdirSafe(`${base}/d`, 1234, 5678, 0o2775);
    const st = fs.statSync(`${base}/d`);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1234, 5678, 0o2775]);
    assert.throws(
      () => mkdirSafe(`${base}/d`, 0, 0, 0o755),
      (e: unknown) => e instanceof SystemError && e.errno === 'EEXIST' && e.path === `${base}/d`,
    );
  });

  it('createFileSafe writes content, owner and exact mode, never over a file', () => {
    createFileSafe(`${base}/f`, 'hello\n', 1234, 5678, 0o4750);
    const st = fs.statSync(`${base}/f`);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1234, 5678, 0o4750]);
    assert.equal(fs.readFileSync(`${base}/f`, 'utf8'), 'hello\n');
    assert.throws(() => createFileSafe(`${base}/f`, 'x', 0, 0, 0o644), SystemError);
    assert.equal(fs.readFileSync(`${base}/f`, 'utf8'), 'hello\n');
  });

  it('symlinkSafe creates a link owned as asked', () => {
    symlinkSafe(`${base}/l`, '/persist/somewhere', 1234, 5678);
    const st = fs.lstatSync(`${base}/l`);
    assert.ok(st.isSymbolicLink());
    assert.deepEqual([st.uid, st.gid], [1234, 5678]);
    assert.equal(fs.readlinkSync(`${base}/l`), '/persist/somewhere');
  });

  it('chownSafe and chmodSafe change files and directories', () => {
    chownSafe(`${base}/real`, 1234, 5678);
    chownSafe(`${base}/real/file`, 4321, 8765);
    chmodSafe(`${base}/real`, 0o1777);
    chmodSafe(`${base}/real/file`, 0o600);
    assert.deepEqual([fs.statSync(`${base}/real`).uid, modeOf(`${base}/real`)], [1234, 0o1777]);
    assert.deepEqual(
      [fs.statSync(`${base}/real/file`).gid, modeOf(`${base}/real/file`)],
      [8765, 0o600],
    );
  });

  it('writeFileAtomicSafe creates, then replaces by rename, leaving no temp file', () => {
    writeFileAtomicSafe(`${base}/state`, 'one', 0o640);
    assert.equal(modeOf(`${base}/state`), 0o640);
    const inode = fs.statSync(`${base}/state`).ino;
    writeFileAtomicSafe(`${base}/state`, 'two', 0o604);
    assert.equal(fs.readFileSync(`${base}/state`, 'utf8'), 'two');
    assert.equal(modeOf(`${base}/state`), 0o604);
    assert.notEqual(fs.statSync(`${base}/state`).ino, inode);
    assert.deepEqual(
      fs.readdirSync(base).filter((n) => n.includes('state')),
      ['state'],
    );
  });

  it('lstatOrNull reports links and treats missing paths as null', () => {
    assert.ok(lstatOrNull(`${base}/fileLink`)?.isSymbolicLink());
    assert.equal(lstatOrNull(`${base}/missing`), null);
    assert.equal(lstatOrNull(`${base}/real/file/below`), null);
  });
});

type Op = (p: string) => void;
const ops: Array<[string, Op, string, string]> = [
  // name, operation, path through an intermediate link, path whose last component is a link
  ['mkdirSafe', (p) => mkdirSafe(p, 1234, 1234, 0o777), 'via/inner/new', 'dangling'],
  ['createFileSafe', (p) => createFileSafe(p, 'evil', 1234, 1234, 0o777), 'via/new', 'dangling'],
  ['symlinkSafe', (p) => symlinkSafe(p, '/etc/shadow', 1234, 1234), 'via/inner/new', 'dirLink'],
  ['chownSafe', (p) => chownSafe(p, 1234, 1234), 'via/file', 'fileLink'],
  ['chmodSafe', (p) => chmodSafe(p, 0o777), 'via/inner', 'dirLink'],
  ['writeFileAtomicSafe', (p) => writeFileAtomicSafe(p, 'evil', 0o777), 'via/file', 'fileLink'],
];

describe('refusing planted symlinks', () => {
  for (const [name, op, intermediate, final] of ops) {
    for (const [where, rel] of [
      ['an intermediate component', intermediate],
      ['the final component', final],
    ] as const) {
      it(`${name} refuses when ${where} is a symlink`, () => {
        const before = treeLines(other);
        const links = treeLines(base);
        assert.throws(
          () => op(`${base}/${rel}`),
          (e: unknown) => e instanceof UnsafePathError && /symbolic link/.test(e.message),
        );
        assert.deepEqual(treeLines(other), before);
        assert.deepEqual(treeLines(base), links);
      });
    }
  }
});
