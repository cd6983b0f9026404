// The command line's exit codes for usage (0 for help asked for, 2 for bad usage) and the
// message for a missing configuration file, as a person meets them.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI } from '../helpers/boot.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });

describe('command line usage', () => {
  it('exits 2 with the usage when no command is given', () => {
    for (const args of [[], ['home']]) {
      const r = cli(...args);
      assert.equal(r.status, 2, `keepsake ${args.join(' ')}`);
      assert.match(r.stdout + r.stderr, /Usage: keepsake/);
    }
  });

  it('exits 0 for --help and --version', () => {
    assert.equal(cli('--help').status, 0);
    assert.equal(cli('apply', '--help').status, 0);
    assert.equal(cli('--version').status, 0);
  });

  it('names a missing configuration file once', () => {
    const r = cli('check', '--config', '/nonexistent/keepsake.yaml');
    assert.equal(r.status, 2);
    assert.equal(r.stderr.split('/nonexistent/keepsake.yaml').length - 1, 1, r.stderr);
    assert.match(r.stderr, /cannot read the configuration file: no such file/);
  });
});

describe('suggestions for a user who does not exist', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-suggest-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(`${root}/etc`);
  fs.writeFileSync(
    `${root}/etc/passwd`,
    'root:x:0:0::/root:/bin/sh\nman:x:6:12::/var/cache/man:/usr/sbin/nologin\njanet:x:1001:1001::/home/janet:/bin/sh\nmark:x:1002:1002::/home/mark:/bin/sh\n',
  );
  fs.writeFileSync(`${root}/etc/group`, 'root:x:0:\n');
  const check = (user: string) => {
    const file = path.join(root, `${user}.yaml`);
    fs.writeFileSync(
      file,
      `persistence:\n  /persist:\n    users:\n      ${user}:\n        directories: [Documents]\n`,
    );
    return cli('check', '--config', file, '--root', root);
  };

  it('never offers a system account that happens to be a few letters away', () => {
    const r = check('jane');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /user "jane" does not exist/);
    assert.doesNotMatch(r.stderr, /did you mean "man"/);
    // A person one letter away is a likely typo.
    assert.match(r.stderr, /did you mean "janet"\?/);
  });

  it('offers nothing when no person is near', () => {
    const r = check('bob');
    assert.equal(r.status, 2);
    assert.doesNotMatch(r.stderr, /did you mean/);
  });
});
