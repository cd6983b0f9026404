// What the observer's lstat answers for a path that is not there: through the addon, whose
// errors come back as Linux's errno numbers, which observe.ts holds as constants.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MISSING } from '../../src/model/observed.js';
import { observe } from '../../src/observe/observe.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-observe-stat-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("the observer's lstat", () => {
  it("holds Linux's numbers for ENOENT and ENOTDIR", () => {
    assert.equal(constants.errno.ENOENT, 2);
    assert.equal(constants.errno.ENOTDIR, 20);
  });

  it('finds nothing where nothing is, nor below a file, nor below a link to a file', () => {
    writeFileSync(join(tmp, 'file'), 'x');
    symlinkSync('file', join(tmp, 'link'));
    mkdirSync(join(tmp, 'dir'));
    // Each path asked of an observer of its own: one that knows the parent is a file
    // answers without asking the kernel.
    const fresh = (p: string) => observe('/').stat(join(tmp, p));
    assert.deepEqual(fresh('nothing'), MISSING);
    assert.deepEqual(fresh('nothing/below'), MISSING);
    assert.deepEqual(fresh('file/below'), MISSING);
    assert.deepEqual(fresh('link/below'), MISSING);
    assert.equal(fresh('file').type, 'file');
    assert.equal(fresh('link').type, 'symlink');
    assert.equal(fresh('link').linkTarget, 'file');
    assert.equal(fresh('dir').type, 'directory');
  });

  it("reads a link's target as node:fs does: long, not ASCII, not even UTF-8", () => {
    const targets = ['t', `${'long/'.repeat(300)}é ✓ 𝄞`, Buffer.from([0x61, 0xff, 0x62])];
    targets.forEach((target, i) => {
      const link = join(tmp, `link${i}`);
      symlinkSync(target, link);
      assert.equal(observe('/').stat(link).linkTarget, readlinkSync(link));
    });
  });

  it('tells what it cannot read, rather than calling it missing', () => {
    const long = join(tmp, 'x'.repeat(300)); // ENAMETOOLONG
    assert.throws(() => observe('/').stat(long), /ENAMETOOLONG/);
  });
});
