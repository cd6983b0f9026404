// `keepsake add` into a user's own storage directory (Home Manager's classic layout): the data
// moves to `<dir>/<entry>`, the entry is declared in `users.<user>.persistence.<dir>`, and no
// `<dir>/home/...` tree or system location appears.

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
      - /var/log
users:
  jane:
    persistence:
      /persist/home/jane:   # jane's own
        directories: [.ssh]
`;

const ran = applied;

describe('keepsake add into a classic storage directory', { skip }, () => {
  it('moves the data to <dir>/<entry> and declares it in the user block', () => {
    const s = new TestSystem({
      config: CONFIG,
      stores: ['/persist'],
      users: [{ name: 'jane', uid: 1000 }],
    });
    systems.push(s);
    const [, , wrongUser, add, , inferred, mounts] = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/home/jane/.mozilla/profile/prefs.js', content: 'prefs', uid: 1000 },
      {
        do: 'apply',
        command: 'add',
        args: ['/home/jane/.mozilla', '--user', 'root', '--store', '/persist/home/jane'],
      },
      {
        do: 'apply',
        command: 'add',
        args: ['/home/jane/.mozilla', '--user', 'jane', '--store', '/persist/home/jane'],
      },
      { do: 'write', path: '/home/jane/.bash_history', content: 'ls\n', uid: 1000 },
      {
        do: 'apply',
        command: 'add',
        args: ['/home/jane/.bash_history', '--store', '/persist/home/jane'],
      },
      { do: 'mounts' },
    ]);
    const w = ran(wrongUser);
    assert.equal(w.status, 2, w.stdout + w.stderr);
    assert.match(w.stderr, /jane/);
    assert.match(w.stderr, /hint:/);
    assert.equal(w.stdout, '', 'refused before any change');
    const a = ran(add);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    assert.match(a.stdout, /users\.jane\.persistence/);
    assert.equal(ran(inferred).status, 0, ran(inferred).stdout + ran(inferred).stderr);
    // the data is in the classic layout, bound back in place
    assert.equal(
      fs.readFileSync(s.disk('/persist', '/home/jane/.mozilla/profile/prefs.js'), 'utf8'),
      'prefs',
    );
    assert.equal(fs.statSync(s.disk('/persist', '/home/jane/.mozilla/profile/prefs.js')).uid, 1000);
    assert.ok(!fs.existsSync(s.disk('/persist', '/home/jane/home')), 'no home/ in the store');
    assert.ok(mounts?.do === 'mounts');
    assert.ok(mounts.points.includes('/home/jane/.mozilla'), mounts.points.join('\n'));
    const config = fs.readFileSync(s.configFile, 'utf8');
    assert.match(
      config,
      /\/persist\/home\/jane: {3}# jane's own\n {8}directories: \[\.ssh, \.mozilla\]\n/,
    );
    assert.match(config, /files:\n\s+- \.bash_history|files: \[\s*\.bash_history\s*\]/);
    assert.doesNotMatch(config, /\n {4}users:/, 'no system location users block');
    assert.doesNotMatch(config, /"\/persist\/home\/jane":/);
    const [boot2, later] = s.boot([
      { do: 'apply' },
      {
        do: 'inspect',
        paths: ['/home/jane/.mozilla/profile/prefs.js', '/home/jane/.bash_history'],
      },
    ]);
    assert.equal(ran(boot2).status, 0, ran(boot2).stderr);
    assert.ok(later?.do === 'inspect');
    assert.equal(later.paths['/home/jane/.mozilla/profile/prefs.js']!.content, 'prefs');
    assert.equal(later.paths['/home/jane/.bash_history']!.content, 'ls\n');
  });

  it('refuses a link planted where the data would go, and loses nothing', () => {
    const s = new TestSystem({
      config: CONFIG,
      stores: ['/persist'],
      users: [{ name: 'jane', uid: 1000 }],
    });
    systems.push(s);
    // The store's `.mozilla` is a link out of the store: following it would write elsewhere.
    const elsewhere = s.disk('/persist', '/elsewhere');
    fs.mkdirSync(elsewhere);
    fs.mkdirSync(s.disk('/persist', '/home/jane'), { recursive: true });
    fs.symlinkSync('/persist/elsewhere', s.disk('/persist', '/home/jane/.mozilla'));
    const [, , add, seen] = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/home/jane/.mozilla/prefs.js', content: 'prefs', uid: 1000 },
      {
        do: 'apply',
        command: 'add',
        args: ['/home/jane/.mozilla', '--store', '/persist/home/jane'],
      },
      { do: 'inspect', paths: ['/home/jane/.mozilla/prefs.js'] },
    ]);
    assert.notEqual(ran(add).status, 0, ran(add).stdout + ran(add).stderr);
    assert.ok(seen?.do === 'inspect');
    assert.equal(
      seen.paths['/home/jane/.mozilla/prefs.js']!.content,
      'prefs',
      'data kept in place',
    );
    assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the link');
    assert.ok(fs.lstatSync(s.disk('/persist', '/home/jane/.mozilla')).isSymbolicLink());
    assert.equal(fs.readFileSync(s.configFile, 'utf8'), CONFIG, 'refused before any change');
  });
});
