// The mount table read on a thread of the addon's while an apply loads its model
// (native/file-ahead.c, readMountInfoAhead): what it hands over must be exactly what node:fs
// reads, only to the one who asked for it, once; and anything it cannot read is left to
// node:fs, whose error the caller then gets.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers/boot.js';
import { namespaceProblem, skipUnlessCI } from '../helpers/ns-run.js';

const ADDON = path.join(REPO, 'build/Release/keepsake_mount.node');

interface FileAhead {
  fileAhead(path: string): number;
  fileAheadTake(ticket: number): string | undefined;
}
const addon = createRequire(import.meta.url)(ADDON) as FileAhead;

const threads = () => fs.readdirSync('/proc/self/task').length;

describe('a file read ahead on a thread of its own', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-file-ahead-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };
  const ahead = (file: string) => addon.fileAheadTake(addon.fileAhead(file));

  it('gives the text node:fs reads: large, empty, not ASCII, not even UTF-8', () => {
    const large = write('large', `${'line of the table\n'.repeat(90_000)}end`); // 1.6 MB
    const empty = write('empty', '');
    const wide = write('wide', 'mount point /srv/météo → ✓ 𝄞\n');
    const broken = write('broken', Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x0a]));
    for (const file of [large, empty, wide, broken, '/proc/self/mountinfo']) {
      assert.equal(ahead(file), fs.readFileSync(file, 'utf8'), file);
    }
  });

  it('hands each read out once, and only the latest', () => {
    const a = write('a', 'first');
    const b = write('b', 'second');
    const first = addon.fileAhead(a);
    const second = addon.fileAhead(b); // drops the first
    assert.ok(first > 0 && second > 0 && second !== first);
    assert.equal(addon.fileAheadTake(first), undefined);
    assert.equal(addon.fileAheadTake(second), 'second');
    assert.equal(addon.fileAheadTake(second), undefined);
    assert.equal(addon.fileAheadTake(0), undefined);
  });

  it('leaves a file it cannot read to node:fs', () => {
    assert.equal(ahead(path.join(dir, 'missing')), undefined);
    assert.equal(ahead(dir), undefined); // a directory: read(2) fails with EISDIR
  });

  it('leaves no thread behind, taken or not', () => {
    const file = write('small', 'x');
    const before = threads();
    for (let i = 0; i < 200; i++) addon.fileAhead(file);
    assert.equal(ahead(file), 'x');
    assert.equal(threads(), before);
  });
});

describe('the mount table read ahead', { skip: skipUnlessCI(namespaceProblem()) }, () => {
  it('is the table as read in place, and a second call reads it anew', () => {
    // In a private mount namespace: a tmpfs is mounted after the first text is taken and
    // before the second call, which must show it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-mountinfo-ahead-'));
    try {
      const module = pathToFileURL(path.join(REPO, 'dist/src/system/mountinfo.js')).href;
      const script = `
        const { readMountInfoAhead, readMountInfoText } = await import(${JSON.stringify(module)});
        const { execFileSync } = await import('node:child_process');
        const take = readMountInfoAhead();
        const first = take();
        const inPlace = readMountInfoText();
        execFileSync('mount', ['-n', '-t', 'tmpfs', 'ahead-test', ${JSON.stringify(dir)}]);
        const second = take();
        console.log(JSON.stringify({ same: first === inPlace, before: first.includes(' ahead-test '),
          after: second.includes(' ahead-test ') }));`;
      const r = spawnSync(
        'unshare',
        ['-m', '--propagation', 'private', process.execPath, '--input-type=module', '-e', script],
        { encoding: 'utf8', timeout: 30_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { same: true, before: false, after: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
