// keepsake's own code is read for V8 with fewer copies (native/load-code.c): the boot file's
// text as one external string in Node's wrapper, and V8's cache of it mapped, not read. What
// V8 is given must be exactly what node:fs would have given, and whatever the addon cannot
// read exactly is left to node:fs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO } from '../helpers/boot.js';

const ADDON = path.join(REPO, 'build/Release/keepsake_mount.node');
const COMPILE_CACHE = path.join(REPO, 'bin/compile-cache.js');

interface LoadCode {
  readScript(file: string, head: string, tail: string): [string, string] | undefined;
  mapFile(fd: number): Uint8Array | undefined;
}
const addon = createRequire(import.meta.url)(ADDON) as LoadCode;

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const TAIL = '\n});';

describe('reading keepsake code without copies', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-load-code-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it('gives the text node:fs reads, in the wrapper, with the digest of its bytes', () => {
    const file = path.join(REPO, 'dist/bundle/apply.cjs');
    const bytes = fs.readFileSync(file);
    const read = addon.readScript(file, HEAD, TAIL);
    assert.ok(read, 'the boot file is ASCII, as esbuild writes it');
    assert.equal(read[0], `${HEAD}${bytes.toString('utf8')}${TAIL}`);
    assert.equal(read[1], sha256(bytes));
    const empty = addon.readScript(write('empty.js', ''), HEAD, TAIL);
    assert.deepEqual(empty, [`${HEAD}${TAIL}`, sha256('')]);
    // No text at all: V8 gives back its empty string and frees the memory at once.
    assert.deepEqual(addon.readScript(path.join(dir, 'empty.js'), '', ''), ['', sha256('')]);
  });

  it('leaves to node:fs what is not ASCII, not a regular file, a link, or missing', () => {
    const latin = write('latin.js', 'const s = "caf\u00e9";\n');
    assert.equal(addon.readScript(latin, HEAD, TAIL), undefined);
    const plain = write('plain.js', 'module.exports = 1;\n');
    assert.equal(addon.readScript(plain, 'caf\u00e9', TAIL), undefined);
    fs.symlinkSync(plain, path.join(dir, 'link.js'));
    assert.equal(addon.readScript(path.join(dir, 'link.js'), HEAD, TAIL), undefined);
    assert.equal(addon.readScript(dir, HEAD, TAIL), undefined);
    assert.equal(addon.readScript(path.join(dir, 'none.js'), HEAD, TAIL), undefined);
    assert.throws(() => addon.readScript(plain, HEAD, undefined as never), TypeError);
  });

  it("maps a file's bytes from its descriptor; nothing for an empty file or a directory", () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const file = write('cache.v8', bytes);
    const fd = fs.openSync(file, 'r');
    try {
      const mapped = addon.mapFile(fd);
      assert.ok(mapped instanceof Uint8Array);
      assert.ok(Buffer.from(mapped.buffer, mapped.byteOffset, mapped.byteLength).equals(bytes));
    } finally {
      fs.closeSync(fd);
    }
    const emptyFd = fs.openSync(write('none.v8', ''), 'r');
    const dirFd = fs.openSync(dir, 'r');
    try {
      assert.equal(addon.mapFile(emptyFd), undefined);
      assert.equal(addon.mapFile(dirFd), undefined);
    } finally {
      fs.closeSync(emptyFd);
      fs.closeSync(dirFd);
    }
    assert.throws(() => addon.mapFile(-1), TypeError);
  });

  it('compiles with a code cache made from the copied text, and outlives collections', () => {
    // In a child with the collector at hand: the text must stay V8's to read after every
    // other reference to it is gone, since V8 compiles lazily from it at a function's first
    // call.
    const later = 'function later(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }';
    const file = write('lazy.js', `exports.later = ${later};\n`);
    const cacheFile = path.join(dir, 'lazy.v8');
    const child = `
      const fs = require('node:fs'), vm = require('node:vm');
      const addon = require(${JSON.stringify(ADDON)});
      const file = ${JSON.stringify(file)};
      const head = ${JSON.stringify(HEAD)}, tail = ${JSON.stringify(TAIL)};
      const plain = new vm.Script(head + fs.readFileSync(file, 'utf8') + tail, { filename: file });
      const cachedData = plain.createCachedData();
      fs.writeFileSync(${JSON.stringify(cacheFile)}, cachedData);
      const cacheFd = fs.openSync(${JSON.stringify(cacheFile)}, 'r');
      const mapped = addon.mapFile(cacheFd); fs.closeSync(cacheFd);
      const script = new vm.Script(addon.readScript(file, head, tail)[0], { filename: file, cachedData: mapped });
      const mod = { exports: {} };
      script.runInThisContext().call(mod.exports, mod.exports, require, mod, file, '.');
      for (let i = 0; i < 5; i++) { globalThis.gc(); new Array(100000).fill({}); }
      console.log(JSON.stringify({ rejected: script.cachedDataRejected, sum: mod.exports.later(1000), text: mod.exports.later.toString() }));
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', child], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { rejected: false, sum: 499_500, text: later });
  });

  it('names the code cache alike whether the addon or node:fs read the file', () => {
    // The launcher's own cache, once from a copy of bin/ with no addon beside it.
    const bare = path.join(dir, 'bare/bin');
    fs.mkdirSync(bare, { recursive: true });
    fs.copyFileSync(COMPILE_CACHE, path.join(bare, 'compile-cache.js'));
    const target = write('boot.cjs', 'exports.answer = 42;\n');
    const names = [COMPILE_CACHE, path.join(bare, 'compile-cache.js')].map((launcher, i) => {
      const run = path.join(dir, `run${i}`);
      fs.mkdirSync(run, { mode: 0o755 });
      fs.chmodSync(run, 0o755);
      const code = `
        const cache = require(${JSON.stringify(launcher)});
        const got = cache.requireCached(${JSON.stringify(target)}, require('node:module'), ${JSON.stringify(run)}, {});
        if (got.exports.answer !== 42) process.exit(3);
        got.save();
      `;
      const child = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      return fs.readdirSync(`${run}/keepsake/compile-cache`);
    });
    assert.equal(names[0]!.length, 1);
    assert.deepEqual(names[0], names[1]);
    assert.ok(
      names[0]![0]!.startsWith(`boot.cjs-${sha256('exports.answer = 42;\n').slice(0, 32)}-`),
    );
  });
});
