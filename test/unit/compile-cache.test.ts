// Node's compiled-code cache is run as it is read: keepsake keeps it only in a directory that
// nobody but root can write to, and never where a link or someone else's directory leads.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers/boot.js';

interface CompileCache {
  compileCacheDir(run: string, uid?: number): string | undefined;
  enableCompileCache(nodeModule: object, run: string): string | undefined;
}

const cache = (await import(
  pathToFileURL(path.join(REPO, 'bin/compile-cache.js')).href
)) as CompileCache;

describe('the compiled-code cache', () => {
  const made: string[] = [];
  after(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });
  /** A stand-in for /run: root's, 0755, in a temporary directory. */
  const runDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-run-'));
    fs.chmodSync(d, 0o755);
    made.push(d);
    return d;
  };

  it("lives in root's own runtime directory, made private", () => {
    const run = runDir();
    assert.equal(cache.compileCacheDir(run, 0), `${run}/keepsake/compile-cache`);
    const st = fs.lstatSync(`${run}/keepsake`);
    assert.ok(st.isDirectory());
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o700);
  });

  it('is not kept for anyone but root', () => {
    const run = runDir();
    assert.equal(cache.compileCacheDir(run, 1000), undefined);
    assert.equal(fs.existsSync(`${run}/keepsake`), false);
  });

  it('is not kept where others may write, or where a link or their directory leads', () => {
    const open = runDir();
    fs.chmodSync(open, 0o1777);
    assert.equal(cache.compileCacheDir(open, 0), undefined);
    assert.equal(fs.existsSync(`${open}/keepsake`), false);

    const elsewhere = runDir();
    const linked = runDir();
    fs.symlinkSync(elsewhere, `${linked}/keepsake`);
    assert.equal(cache.compileCacheDir(linked, 0), undefined);

    const theirs = runDir();
    fs.mkdirSync(`${theirs}/keepsake`, 0o700);
    fs.chownSync(`${theirs}/keepsake`, 1000, 1000);
    assert.equal(cache.compileCacheDir(theirs, 0), undefined);

    const wide = runDir();
    fs.mkdirSync(`${wide}/keepsake`);
    fs.chmodSync(`${wide}/keepsake`, 0o777);
    assert.equal(cache.compileCacheDir(wide, 0), undefined);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });

  it('is turned on only where Node has it, and never fails a run', () => {
    const run = runDir();
    assert.equal(cache.enableCompileCache({}, run), undefined, 'Node 20: nothing to turn on');
    assert.equal(fs.existsSync(`${run}/keepsake`), false);
    const asked: string[] = [];
    const dir = cache.enableCompileCache({ enableCompileCache: (d: string) => asked.push(d) }, run);
    assert.deepEqual(asked, [`${run}/keepsake/compile-cache`]);
    assert.equal(dir, asked[0]);
    const failing = {
      enableCompileCache: () => {
        throw new Error('no space left');
      },
    };
    assert.equal(cache.enableCompileCache(failing, run), undefined);
  });

  it('is not needed to run: a launcher without compile-cache.js beside it still starts', () => {
    const copy = runDir();
    fs.mkdirSync(`${copy}/bin`);
    fs.copyFileSync(path.join(REPO, 'bin/keepsake.js'), `${copy}/bin/keepsake.js`);
    fs.copyFileSync(path.join(REPO, 'package.json'), `${copy}/package.json`);
    fs.symlinkSync(path.join(REPO, 'dist'), `${copy}/dist`);
    const r = spawnSync(process.execPath, [`${copy}/bin/keepsake.js`, '--version'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  });
});
