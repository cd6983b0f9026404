// A failed apply leaves the file tree and the mount table as they were; the exec fallback
// behaves like the native addon.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { requireNamespaces, systemsCleanedAfter, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const CONFIG = `persistence:
  /persist:
    hideMounts: true
    directories: [/var/log, /var/lib/app, { directory: /srv/data, mode: "0700" }]
    files: [/etc/machine-id, /etc/ssh/ssh_host_ed25519_key]
`;

function listTree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('a failing apply', { skip }, () => {
  for (const failAt of [1, 5, 9, 12]) {
    it(`undoes everything when action ${failAt} fails`, () => {
      const s = new TestSystem({ config: CONFIG, stores: ['/persist'] });
      systems.push(s);
      fs.mkdirSync(s.disk('/persist', '/etc/ssh'), { recursive: true });
      fs.writeFileSync(s.disk('/persist', '/etc/ssh/ssh_host_ed25519_key'), 'KEY\n', {
        mode: 0o600,
      });
      fs.mkdirSync(s.disk('/persist', '/srv/data'), { recursive: true, mode: 0o755 });
      fs.chmodSync(s.disk('/persist', '/srv/data'), 0o755);
      const diskBefore = listTree(s.disks['/persist']!);
      const [failed, tree, mounts] = s.boot([
        { do: 'apply', args: ['--json'], env: { KEEPSAKE_FAIL_AT_ACTION: String(failAt) } },
        { do: 'inspect', paths: ['/', '/etc'] },
        { do: 'mounts' },
      ]);
      assert.ok(failed?.do === 'apply' && failed.status === 1, JSON.stringify(failed));
      const events = failed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { status?: string });
      assert.equal(events.filter((e) => e.status === 'failed').length, 1);
      assert.equal(events.filter((e) => e.status === 'undo-failed').length, 0);
      assert.equal(events.filter((e) => e.status === 'undone').length, failAt);
      assert.deepEqual(listTree(s.disks['/persist']!), diskBefore);
      assert.equal(fs.statSync(s.disk('/persist', '/srv/data')).mode & 0o7777, 0o755);
      assert.ok(tree?.do === 'inspect');
      assert.deepEqual(tree.paths['/']!.names, ['etc', 'persist', 'run', 'tmp']);
      assert.deepEqual(tree.paths['/etc']!.names, ['group', 'passwd']);
      assert.ok(mounts?.do === 'mounts');
      assert.deepEqual(mounts.points, ['/persist']);
      // and the next apply converges
      const [ok] = s.boot([{ do: 'apply' }]);
      assert.ok(ok?.do === 'apply' && ok.status === 0, ok?.do === 'apply' ? ok.stderr : '');
    });
  }
});

describe('the mount(8) fallback', { skip }, () => {
  it('applies, survives a reboot and is idempotent like the addon', () => {
    const s = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    systems.push(s);
    const env = { KEEPSAKE_MOUNT_BACKEND: 'exec' };
    const [first] = s.boot([
      { do: 'apply', env },
      { do: 'write', path: '/srv/data/db', content: 'rows\n' },
    ]);
    assert.ok(
      first?.do === 'apply' && first.status === 0,
      first?.do === 'apply' ? first.stderr : '',
    );
    assert.match(first.stderr, /mount\(8\)|fall/i);
    const [again, noop, st] = s.boot([
      { do: 'apply', env },
      { do: 'apply', env, args: ['--json'] },
      { do: 'inspect', paths: ['/srv/data/db'] },
    ]);
    assert.ok(
      again?.do === 'apply' && again.status === 0,
      again?.do === 'apply' ? again.stderr : '',
    );
    assert.ok(noop?.do === 'apply');
    assert.equal(JSON.parse(noop.stdout.trim().split('\n').at(-1)!).actions, 0);
    assert.ok(st?.do === 'inspect');
    assert.equal(st.paths['/srv/data/db']!.content, 'rows\n');
  });
});
