// Accounts that are themselves persisted: the root's /etc/passwd knows only root (the image's, or
// a blank snapshot's), the stored copy also knows jane, who was added with useradd later. Names
// resolve from the copy that will be in place, so jane's entries are set up, owned by her.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  type Inspected,
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const ROOT_ONLY = { passwd: 'root:x:0:0:root:/root:/bin/sh\n', group: 'root:x:0:\n' };
const STORED = {
  passwd: `${ROOT_ONLY.passwd}jane:x:1001:1002:Jane:/home/jane:/bin/sh\n`,
  group: `${ROOT_ONLY.group}jane:x:1002:\n`,
};

function system(config: string, stored = STORED) {
  const s = new TestSystem({ config, stores: ['/persist'], accounts: ROOT_ONLY });
  systems.push(s);
  fs.mkdirSync(s.disk('/persist', '/etc'), { recursive: true });
  fs.writeFileSync(s.disk('/persist', '/etc/passwd'), stored.passwd);
  fs.writeFileSync(s.disk('/persist', '/etc/group'), stored.group);
  return s;
}

function applied(r: StepResult | undefined) {
  assert.ok(r && r.do === 'apply');
  return r;
}
function inspected(r: StepResult | undefined): Record<string, Inspected> {
  assert.ok(r && r.do === 'inspect');
  return r.paths;
}

const LOOK = ['/home/jane', '/home/jane/Documents', '/persist/home/jane/Documents', '/etc/passwd'];

describe('accounts resolved from the persisted passwd', { skip }, () => {
  it('a user only in the stored passwd gets their home entries, owned by them', () => {
    const s = system(`persistence:
  /persist:
    files:
      - { file: /etc/passwd, adopt: true }
      - { file: /etc/group, adopt: true }
    users:
      jane:
        directories: [Documents]
`);
    const [r, state] = s.boot([{ do: 'apply' }, { do: 'inspect', paths: LOOK }]);
    const a = applied(r);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    const p = inspected(state);
    assert.equal(p['/etc/passwd']!.content, STORED.passwd);
    for (const path of ['/home/jane', '/home/jane/Documents', '/persist/home/jane/Documents'])
      assert.deepEqual([p[path]!.uid, p[path]!.gid], [1001, 1002], path);
    // Nothing of the root's copy is lost: it was set aside in the store.
    const backups = fs.readdirSync(s.disk('/persist', '/.keepsake/backup'));
    assert.equal(backups.length, 1);
    const kept = s.disk('/persist', `/.keepsake/backup/${backups[0]}/etc/passwd`);
    assert.equal(fs.readFileSync(kept, 'utf8'), ROOT_ONLY.passwd);
  });

  it('the whole of /etc persisted: names come from the stored /etc', () => {
    const s = system(`persistence:
  /persist:
    directories: [/etc]
    users:
      jane:
        directories: [Documents]
`);
    const [, r, state] = s.boot([
      { do: 'sh', cmd: 'rm "$ROOT/etc/passwd" "$ROOT/etc/group"' },
      { do: 'apply' },
      { do: 'inspect', paths: LOOK },
    ]);
    const a = applied(r);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    const p = inspected(state);
    assert.equal(p['/etc/passwd']!.content, STORED.passwd);
    for (const path of ['/home/jane', '/home/jane/Documents', '/persist/home/jane/Documents'])
      assert.deepEqual([p[path]!.uid, p[path]!.gid], [1001, 1002], path);
  });

  it('the stored copy is missing: the root’s is used, and an unknown user is still an error', () => {
    const s = system(
      'persistence:\n  /persist:\n    files: [/etc/passwd]\n    users:\n      jane:\n        directories: [Documents]\n',
    );
    fs.rmSync(s.disk('/persist', '/etc/passwd'));
    const [r] = s.boot([{ do: 'apply' }]);
    const a = applied(r);
    assert.equal(a.status, 2, a.stderr);
    assert.match(a.stderr, /user "jane" does not exist in .*\/etc\/passwd/);
  });

  it('a link planted at the stored passwd is not followed', () => {
    const s = system(
      'persistence:\n  /persist:\n    files: [/etc/passwd]\n    users:\n      jane:\n        directories: [Documents]\n',
    );
    fs.renameSync(s.disk('/persist', '/etc/passwd'), s.disk('/persist', '/elsewhere'));
    fs.symlinkSync('/persist/elsewhere', s.disk('/persist', '/etc/passwd'));
    const [r] = s.boot([{ do: 'apply' }]);
    const a = applied(r);
    assert.equal(a.status, 2, a.stderr);
    assert.match(a.stderr, /\/persist\/etc\/passwd.*symbolic link/);
  });
});
