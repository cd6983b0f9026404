// `keepsake add PATH`: a live path becomes persisted. The configuration file gains the entry
// with its comments kept, the data moves into the store with owners, modes and xattrs, and
// the path is back in place, bound or linked; a reboot keeps it.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { applied, requireNamespaces, systemsCleanedAfter, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const CONFIG = `# what this machine keeps
persistence:
  /persist:
    directories:
      - /var/log # logs
    users:
      jane:
        directories: [Documents]
`;

const ran = applied;

const XATTR = `python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.keepsake', b'kept')"`;
const GETX = `python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'user.keepsake').decode())"`;

describe('keepsake add', { skip }, () => {
  it('persists a system directory and a file in a home, keeping the config file as written', () => {
    const s = new TestSystem({
      config: CONFIG,
      stores: ['/persist'],
      users: [{ name: 'jane', uid: 1000 }],
    });
    systems.push(s);
    const [, , , , , dry, addDir, addFile, second, seen, x] = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/var/lib/app/db/rows', content: 'rows', uid: 1000 },
      {
        do: 'sh',
        cmd: `chmod 0700 "$ROOT/var/lib/app/db" && ${XATTR} "$ROOT/var/lib/app/db/rows"`,
      },
      { do: 'write', path: '/home/jane/.bash_history', content: 'ls\n', uid: 1000 },
      { do: 'write', path: '/home/jane/Projects/keepsake/notes.md', content: 'notes', uid: 1000 },
      { do: 'apply', command: 'add', args: ['/var/lib/app', '--dry-run'] },
      { do: 'apply', command: 'add', args: ['/var/lib/app'] },
      { do: 'apply', command: 'add', args: ['/home/jane/.bash_history', '--user', 'jane'] },
      { do: 'apply', command: 'add', args: ['/var/lib/app'] },
      {
        do: 'inspect',
        paths: ['/var/lib/app/db/rows', '/var/lib/app/db', '/home/jane/.bash_history'],
      },
      { do: 'sh', cmd: `${GETX} "$ROOT/var/lib/app/db/rows"` },
    ]);
    const d = ran(dry);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /\+ {7}- \/var\/lib\/app/);
    assert.match(d.stdout, /would adopt/);
    const a = ran(addDir);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    assert.match(a.stdout, /moved 1 file \(4 bytes\) into \/persist\/var\/lib\/app/);
    assert.equal(ran(addFile).status, 0, ran(addFile).stdout + ran(addFile).stderr);
    assert.equal(ran(second).status, 0, 'adding again is a no-op');
    // a file in a system path, a directory in a home
    const [sysFile, homeDir, both] = s
      .boot([
        { do: 'write', path: '/etc/app.conf', content: 'key=1' },
        { do: 'apply', command: 'add', args: ['/etc/app.conf'] },
        { do: 'write', path: '/home/jane/Projects/keepsake/notes.md', content: 'notes', uid: 1000 },
        { do: 'apply', command: 'add', args: ['/home/jane/Projects', '--user', 'jane'] },
        { do: 'inspect', paths: ['/etc/app.conf', '/home/jane/Projects/keepsake/notes.md'] },
      ])
      .filter((r) => r.do === 'apply' || r.do === 'inspect');
    assert.equal(ran(sysFile).status, 0, ran(sysFile).stdout + ran(sysFile).stderr);
    assert.equal(ran(homeDir).status, 0, ran(homeDir).stdout + ran(homeDir).stderr);
    assert.ok(both?.do === 'inspect');
    assert.equal(both.paths['/etc/app.conf']!.content, 'key=1');
    assert.equal(both.paths['/home/jane/Projects/keepsake/notes.md']!.content, 'notes');
    assert.equal(
      fs.statSync(s.disk('/persist', '/home/jane/Projects/keepsake/notes.md')).uid,
      1000,
    );
    assert.ok(seen?.do === 'inspect');
    assert.equal(seen.paths['/var/lib/app/db/rows']!.content, 'rows');
    assert.deepEqual(
      [seen.paths['/var/lib/app/db']!.mode, seen.paths['/var/lib/app/db/rows']!.uid],
      ['0700', 1000],
    );
    assert.equal(seen.paths['/home/jane/.bash_history']!.content, 'ls\n');
    assert.ok(x?.do === 'sh' && x.stdout.trim() === 'kept', 'xattrs come along');
    // the data is in the store, the configuration says so, comments and all
    assert.equal(fs.readFileSync(s.disk('/persist', '/var/lib/app/db/rows'), 'utf8'), 'rows');
    const config = fs.readFileSync(s.configFile, 'utf8');
    assert.ok(config.startsWith('# what this machine keeps\n'));
    assert.match(config, /- \/var\/log # logs\n +- \/var\/lib\/app\n/);
    assert.match(config, /files: \[\s*\.bash_history\s*\]|files:\n\s+- \.bash_history/);
    // a reboot: both are back
    const [boot2, later] = s.boot([
      { do: 'apply' },
      { do: 'inspect', paths: ['/var/lib/app/db/rows', '/home/jane/.bash_history'] },
    ]);
    assert.equal(ran(boot2).status, 0, ran(boot2).stderr);
    assert.ok(later?.do === 'inspect');
    assert.equal(later.paths['/var/lib/app/db/rows']!.content, 'rows');
    assert.equal(later.paths['/home/jane/.bash_history']!.content, 'ls\n');
  });

  it('changes nothing when the path cannot be added', () => {
    const s = new TestSystem({
      config: CONFIG,
      stores: ['/persist'],
      users: [{ name: 'jane', uid: 1000 }],
    });
    systems.push(s);
    const before = fs.readFileSync(s.configFile, 'utf8');
    const [r1, r2] = s.boot([
      { do: 'apply', command: 'add', args: ['/nonexistent'] },
      { do: 'apply', command: 'add', args: ['/etc/passwd', '--user', 'jane'] },
    ]);
    assert.equal(ran(r1).status, 2);
    assert.match(ran(r1).stderr, /does not exist/);
    assert.equal(ran(r2).status, 2);
    assert.match(ran(r2).stderr, /not inside jane's home/);
    assert.equal(fs.readFileSync(s.configFile, 'utf8'), before);
  });
});
