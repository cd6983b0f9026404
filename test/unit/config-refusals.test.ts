// Values that pass a type check but could not work, or must never be touched: ids the kernel
// reads as "unchanged", names and paths longer than the kernel takes, targets in the kernel's
// own file systems or in keepsake's state. Each is refused at check time, naming the value.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { validateConfig } from '../../src/config/index.js';
import { writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-refusals-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'root');
writeAccounts(root, ['jane'], ['wheel']);
let counter = 0;

function errors(text: string) {
  const file = join(tmp, `c${counter++}.yaml`);
  writeFileSync(file, text);
  const { diagnostics, model } = validateConfig(file, { root });
  const es = diagnostics.filter((d) => d.severity === 'error');
  if (es.length > 0) assert.equal(model, undefined);
  return es.map((d) => ({ code: d.code, line: d.source?.line, message: d.message, hint: d.hint }));
}

function only(text: string) {
  const es = errors(text);
  assert.equal(es.length, 1, JSON.stringify(es, null, 2));
  return es[0]!;
}

const loc = (body: string) => `persistence:\n  /persist:\n${body}`;

describe('user and group ids', () => {
  for (const id of ['4294967295', '4294967296', '18446744073709551616', '"4294967295"']) {
    test(`user ${id}`, () => {
      const e = only(loc(`    directories:\n      - { directory: /var/a, user: ${id} }\n`));
      assert.equal(e.code, 'invalid-id');
      assert.equal(e.line, 4);
      assert.match(e.message, /user/);
      assert.match(e.message, new RegExp(id.replace(/"/g, '').slice(0, 8)));
      assert.match(e.hint ?? '', /4294967294/);
    });
  }

  test('group 4294967295, and in parentDirectory', () => {
    const es = errors(
      loc(
        '    directories:\n      - { directory: /var/a, group: 4294967295 }\n      - { directory: /var/b, parentDirectory: { user: 4294967295, group: 4294967296 } }\n',
      ),
    );
    assert.deepEqual(
      es.map((e) => [e.code, e.line]),
      [
        ['invalid-id', 4],
        ['invalid-id', 5],
        ['invalid-id', 5],
      ],
    );
  });

  test('a user whose own ids in passwd are out of range, for a home entry', () => {
    const odd = join(tmp, 'odd-root');
    writeAccounts(odd, ['jane'], ['wheel']);
    const passwd = join(odd, 'etc/passwd');
    writeFileSync(
      passwd,
      `${readFileSync(passwd, 'utf8')}max:x:4294967295:4294967295::/home/max:/bin/sh\n`,
    );
    const file = join(tmp, `c${counter++}.yaml`);
    writeFileSync(
      file,
      'persistence:\n  /persist:\n    users:\n      max:\n        directories: [a]\n',
    );
    const { diagnostics } = validateConfig(file, { root: odd });
    const es = diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(
      es.map((d) => d.code),
      ['invalid-id'],
    );
    assert.match(es[0]!.message, /4294967295/);
  });

  test('the largest valid id is accepted', () => {
    assert.deepEqual(
      errors(loc('    directories:\n      - { directory: /var/a, user: 4294967294 }\n')),
      [],
    );
  });
});

describe('names and paths longer than the kernel takes', () => {
  const long = 'n'.repeat(256);
  test('a component of 256 bytes', () => {
    const e = only(loc(`    directories: [ /var/${long} ]\n`));
    assert.equal(e.code, 'name-too-long');
    assert.match(e.message, /256 bytes/);
    assert.match(e.message, /255/);
  });

  test('255 bytes of multibyte characters count as bytes', () => {
    const e = only(loc(`    directories: [ /var/${'é'.repeat(128)} ]\n`));
    assert.equal(e.code, 'name-too-long');
    assert.deepEqual(errors(loc(`    directories: [ /var/${'é'.repeat(127)} ]\n`)), []);
  });

  test('a path longer than 4095 bytes', () => {
    const path = Array.from({ length: 20 }, () => 'p'.repeat(250)).join('/');
    const e = only(loc(`    directories: [ /${path} ]\n`));
    assert.equal(e.code, 'path-too-long');
    assert.match(e.message, /4095/);
  });

  test('a home path of 256 bytes', () => {
    const e = only(`${loc(`    users:\n      jane:\n        files: [ .${long} ]\n`)}`);
    assert.equal(e.code, 'name-too-long');
  });

  test('a store path that becomes too long once joined', () => {
    const half = Array.from({ length: 9 }, () => 'p'.repeat(250)).join('/');
    // YAML keys are at most 1024 characters: the store is named by persistentStoragePath.
    const e = only(
      `persistence:\n  main:\n    persistentStoragePath: /s${half}\n    directories: [ /t${half} ]\n`,
    );
    assert.equal(e.code, 'path-too-long');
    assert.match(e.message, /store/);
  });
});

describe("targets in the kernel's file systems and in keepsake's state", () => {
  for (const target of ['/proc', '/proc/sys/kernel', '/sys/fs', '/dev', '/dev/shm', '/run/mount']) {
    test(target, () => {
      const e = only(loc(`    directories: [ ${target} ]\n`));
      assert.equal(e.code, 'api-filesystem');
      assert.match(e.message, new RegExp(target.replace(/\//g, '\\/')));
      assert.match(e.message, /kernel|API/);
    });
  }

  test('a file under /sys', () => {
    assert.equal(only(loc('    files: [ /sys/kernel/mm/thp ]\n')).code, 'api-filesystem');
  });

  test('/run, /devices and /system are fine', () => {
    assert.deepEqual(errors(loc('    directories: [ /run/foo, /devices, /system, /proc2 ]\n')), []);
  });

  test("an entry whose copy would be the store's own .keepsake", () => {
    const e = only(loc('    directories: [ /.keepsake/generations ]\n'));
    assert.equal(e.code, 'keepsake-state');
    assert.match(e.message, /\/persist\/\.keepsake/);
  });

  test("a store inside another store's .keepsake", () => {
    const es = errors(
      'persistence:\n  /persist:\n    directories: [ /var/a ]\n  /persist/.keepsake/x:\n    directories: [ /var/b ]\n',
    );
    assert.deepEqual(
      es.map((e) => e.code),
      ['keepsake-state'],
    );
  });
});
