// Every way of declaring an entry, from a TOML file: a named location with
// persistentStoragePath, a disabled location, Home Manager's classic layout with
// removePrefixDirectory and linked directories, allowTrash and hideMounts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireNamespaces, systemsCleanedAfter, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const CONFIG = `# keepsake, in TOML
[persistence.system]
persistentStoragePath = "/persistent/system"
hideMounts = true
allowTrash = true
directories = ["/var/lib/nixos/", { directory = "/var/lib/private", mode = "700" }]
files = ["/etc/adjtime"]

[persistence.disabled]
enable = false
persistentStoragePath = "/nowhere"
directories = ["/var/lib/never"]

[users.jane.persistence."/persist/jane"]
removePrefixDirectory = true
allowOther = true
directories = ["gpg/.gnupg", { directory = "steam/.local/share/Steam", method = "symlink" }, "data/books"]
files = ["bash/.bash_history"]
`;

describe('entry forms', { skip }, () => {
  it('applies every form from TOML and keeps what is written across a reboot', () => {
    const s = new TestSystem({
      config: CONFIG,
      configName: 'keepsake.toml',
      stores: ['/persistent/system', '/persist/jane'],
      users: [{ name: 'jane', uid: 1000 }],
    });
    systems.push(s);
    const [first, state, mounts] = s.boot([
      { do: 'apply' },
      {
        do: 'inspect',
        paths: [
          '/persistent/system/var/lib/private',
          '/var/lib/never',
          '/home/jane',
          '/home/jane/.local/share',
          '/home/jane/.local/share/Steam',
          '/home/jane/.bash_history',
          '/home/jane/books',
          '/persist/jane/gpg/.gnupg',
        ],
      },
      { do: 'mounts' },
      { do: 'write', path: '/home/jane/.gnupg/pubring.kbx', content: 'keys' },
      { do: 'write', path: '/home/jane/.local/share/Steam/game.sav', content: 'level 3' },
      { do: 'write', path: '/home/jane/.bash_history', content: 'ls\n' },
      { do: 'write', path: '/home/jane/books/moby.epub', content: 'whale' },
      { do: 'write', path: '/var/lib/private/secret', content: 's' },
    ]);
    assert.ok(
      first?.do === 'apply' && first.status === 0,
      first?.do === 'apply' ? first.stderr : '',
    );
    assert.ok(state?.do === 'inspect');
    const p = state.paths;
    assert.equal(p['/persistent/system/var/lib/private']!.mode, '0700');
    assert.equal(p['/var/lib/never']!.type, 'missing', 'a disabled location does nothing');
    assert.deepEqual([p['/home/jane']!.uid, p['/home/jane']!.mode], [1000, '0700']);
    assert.deepEqual(
      [p['/home/jane/.local/share']!.uid, p['/home/jane/.local/share']!.mode],
      [1000, '0755'],
    );
    assert.equal(
      p['/home/jane/.local/share/Steam']!.link,
      '/persist/jane/steam/.local/share/Steam',
    );
    assert.equal(p['/home/jane/.bash_history']!.link, '/persist/jane/bash/.bash_history');
    assert.equal(p['/home/jane/books']!.type, 'directory');
    assert.deepEqual(
      [p['/persist/jane/gpg/.gnupg']!.uid, p['/persist/jane/gpg/.gnupg']!.type],
      [1000, 'directory'],
    );
    assert.ok(mounts?.do === 'mounts');
    for (const m of [
      '/var/lib/nixos',
      '/var/lib/private',
      '/home/jane/.gnupg',
      '/home/jane/books',
    ]) {
      assert.ok(mounts.points.includes(m), `${m} is mounted`);
    }
    assert.ok(
      !mounts.points.includes('/home/jane/.local/share/Steam'),
      'a linked directory is not mounted',
    );
    assert.match(mounts.utab, /TARGET=\/var\/lib\/nixos .*OPTS=x-gvfs-hide,x-gvfs-trash/);
    assert.doesNotMatch(mounts.utab, /TARGET=\/home\/jane/, 'hideMounts is per location');

    const [again, seen] = s.boot([
      { do: 'apply' },
      {
        do: 'inspect',
        paths: [
          '/home/jane/.gnupg/pubring.kbx',
          '/home/jane/books/moby.epub',
          '/var/lib/private/secret',
          '/home/jane/.bash_history',
        ],
      },
    ]);
    assert.ok(
      again?.do === 'apply' && again.status === 0,
      again?.do === 'apply' ? again.stderr : '',
    );
    assert.ok(seen?.do === 'inspect');
    assert.equal(seen.paths['/home/jane/.gnupg/pubring.kbx']!.content, 'keys');
    assert.equal(seen.paths['/home/jane/books/moby.epub']!.content, 'whale');
    assert.equal(seen.paths['/var/lib/private/secret']!.content, 's');
    // the history now exists in the store: this boot binds it
    assert.equal(seen.paths['/home/jane/.bash_history']!.content, 'ls\n');
    assert.equal(seen.paths['/home/jane/.bash_history']!.type, 'file');
  });
});
