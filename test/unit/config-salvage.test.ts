// `ephemeral` and `salvage` in the configuration: read with their defaults, and every mistake
// reported with its file, line, option and fix, all at once.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig, validateConfig } from '../../src/config/index.js';
import { writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-salvage-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

function setup(text: string) {
  const dir = join(tmp, String(n++));
  const root = join(dir, 'root');
  writeAccounts(root, ['jane'], []);
  const file = join(dir, 'keepsake.yaml');
  writeFileSync(file, text);
  return { file, root };
}

const STORES = `persistence:
  /persist:
    directories: [/var/log]
  /state:
    directories: [/srv]
`;

describe('ephemeral and salvage', () => {
  test('read with their values and defaults', () => {
    const { file, root } = setup(`${STORES}ephemeral: [ /, /srv/scratch ]
salvage:
  enable: true
  maxBytes: 1G
  timeout: 2m
  store: /state
  ignore: ["*.iso"]
`);
    const m = loadConfig(file, { root });
    assert.deepEqual(
      m.ephemeral?.map((e) => e.path),
      ['/', '/srv/scratch'],
    );
    const { ignores, ...s } = m.salvage!;
    assert.deepEqual(s, {
      enable: true,
      maxBytes: 2 ** 30,
      keepBoots: 5,
      store: '/state',
      timeoutMs: 120_000,
    });
    assert.deepEqual(
      ignores.map((i) => [i.pattern, i.base]),
      [['*.iso', '/']],
    );
    const plain = loadConfig(setup(`${STORES}salvage: { enable: true }\n`).file, { root });
    assert.equal(plain.salvage?.store, '/persist', 'the first location, in file order');
    assert.equal(plain.salvage?.maxBytes, 256 * 2 ** 20);
    assert.equal(plain.salvage?.timeoutMs, 30_000);
  });

  test('every mistake at once, each with its line, option and fix', () => {
    const { file, root } = setup(`${STORES}ephemeral: /
salvage:
  enable: "yes"
  maxBytes: lots
  keepBoots: 0
  store: /elsewhere
  timeout: soon
  ignore: ["!"]
  budget: 1
`);
    const errors = validateConfig(file, { root })
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => [d.source?.line, d.message, d.hint]);
    const at = (line: number) => errors.find((e) => e[0] === line);
    assert.match(String(at(6)?.[1]), /^ephemeral: expected a list of absolute paths/);
    assert.match(String(at(6)?.[2]), /ephemeral: \[ "\/" \]/);
    assert.match(String(at(8)?.[1]), /^salvage.enable: expected true or false/);
    assert.match(String(at(9)?.[1]), /^salvage.maxBytes: "lots" is not a size/);
    assert.match(String(at(9)?.[2]), /256M/);
    assert.match(String(at(10)?.[1]), /^salvage.keepBoots: 0 is not a whole number of at least 1/);
    assert.match(
      String(at(11)?.[1]),
      /^salvage.store: "\/elsewhere" is not one of the configuration's storage locations/,
    );
    assert.match(String(at(11)?.[2]), /\/persist, \/state/);
    assert.match(String(at(12)?.[1]), /^salvage.timeout: "soon" is not a duration/);
    assert.ok(at(13), 'the bad ignore pattern');
    assert.match(String(at(14)?.[1]), /^salvage.budget: unknown option/);
    assert.equal(errors.length, 8);
  });
});
