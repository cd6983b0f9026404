// Users and groups from <root>/etc/passwd and <root>/etc/group.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Accounts, parseGroup, parsePasswd } from '../../src/config/accounts.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-accounts-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('passwd and group lines; malformed lines are skipped', () => {
  const users = parsePasswd(
    '# comment\nroot:x:0:0:root:/root:/bin/sh\njane:x:1000:100:Jane:/home/jane:/bin/zsh\nbroken\nbad:x:abc:1::/:\n',
  );
  assert.deepEqual(users, [
    { name: 'root', uid: 0, gid: 0, home: '/root' },
    { name: 'jane', uid: 1000, gid: 100, home: '/home/jane' },
  ]);
  const groups = parseGroup('wheel:x:10:jane,bob\nusers:x:100:\n');
  assert.deepEqual(groups, [
    { name: 'wheel', gid: 10, members: ['jane', 'bob'] },
    { name: 'users', gid: 100, members: [] },
  ]);
});

test('names, numeric ids, and root without any files', () => {
  const a = Accounts.load(join(tmp, 'no-such-root'));
  assert.deepEqual(a.users, []);
  assert.equal(a.uidOf('root'), 0);
  assert.equal(a.gidOf('root'), 0);
  assert.equal(a.uidOf('1234'), 1234);
  assert.equal(a.gidOf(55), 55);
  assert.equal(a.uidOf('jane'), undefined);
  const b = new Accounts(
    parsePasswd('jane:x:1000:100::/home/jane:\n'),
    parseGroup('users:x:100:\n'),
  );
  assert.equal(b.uidOf('jane'), 1000);
  assert.equal(b.gidOf('users'), 100);
  assert.equal(b.user(1000)?.name, 'jane');
  assert.equal(b.group('100')?.name, 'users');
  assert.equal(b.user('jane')?.home, '/home/jane');
});
