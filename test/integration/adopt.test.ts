// Data already at a target: refused by default; with --adopt (or adopt: true) moved into the
// store when the store has nothing there, set aside in a backup in the store otherwise.
// Across file systems it is copied, verified and only then removed; on one, renamed.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

type Applied = Extract<StepResult, { do: 'apply' }>;
const applied = (r: StepResult | undefined): Applied => {
  assert.ok(r?.do === 'apply');
  return r;
};
const result = (r: Applied) =>
  JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    adopted: Array<{ from: string; to: string; how: string; files: number; bytes: number }>;
  };

const CONFIG =
  'persistence:\n  /persist:\n    directories: [/srv/www, /srv/db]\n    files: [/etc/hostid, /etc/token]\n';

/** With `rootOnDisk`, /persist is a plain directory of the root's own file system. */
function system(opts: { rootOnDisk?: boolean; config?: string } = {}) {
  const s = new TestSystem({
    config: opts.config ?? CONFIG,
    stores: opts.rootOnDisk ? [] : ['/persist'],
    ...opts,
  });
  systems.push(s);
  const store = (p: string) =>
    opts.rootOnDisk ? `${s.dir}/rootdisk/persist${p}` : s.disk('/persist', p);
  // the store already holds /srv/db and /etc/token; it has nothing for /srv/www and /etc/hostid
  fs.mkdirSync(store('/srv/db'), { recursive: true });
  fs.writeFileSync(store('/srv/db/rows'), 'store rows');
  fs.mkdirSync(store('/etc'), { recursive: true });
  fs.writeFileSync(store('/etc/token'), 'store token');
  return { s, store };
}

const IN_THE_WAY = [
  { do: 'write', path: '/srv/www/index.html', content: 'hello' },
  { do: 'write', path: '/srv/www/img/logo.png', content: 'PNG' },
  { do: 'write', path: '/srv/db/rows', content: 'ephemeral rows' },
  { do: 'write', path: '/etc/hostid', content: 'abcd' },
  { do: 'write', path: '/etc/token', content: 'ephemeral token' },
] as const;

describe('adopting data in the way', { skip }, () => {
  it('refuses by default and names the choices', () => {
    const { s } = system();
    const [, , , , , r] = s.boot([...IN_THE_WAY, { do: 'apply' }]);
    assert.equal(applied(r).status, 2);
    assert.match(applied(r).stderr, /--adopt/);
  });

  for (const rootOnDisk of [false, true]) {
    it(`moves it into an empty store, backs it up beside a full one (${rootOnDisk ? 'same file system: renames' : 'across file systems: copies'})`, () => {
      const { s, store } = system({ rootOnDisk });
      const [, , , , , inode, r, seen] = s.boot([
        ...IN_THE_WAY,
        { do: 'sh', cmd: 'stat -c %i "$ROOT/srv/www/index.html"' },
        { do: 'apply', args: ['--adopt', '--json'] },
        {
          do: 'inspect',
          paths: [
            '/srv/www/index.html',
            '/srv/www/img/logo.png',
            '/srv/db/rows',
            '/etc/hostid',
            '/etc/token',
          ],
        },
      ]);
      const a = applied(r);
      assert.equal(a.status, 0, a.stdout + a.stderr);
      const moves = a.stdout.split('\n').filter((l) => l.includes('"kind":"adopt"'));
      assert.equal(moves.length, 4);
      const how = Object.fromEntries(result(a).adopted.map((x) => [x.from, x.how]));
      assert.deepEqual(how, {
        '/srv/www': 'into-store',
        '/srv/db': 'backup',
        '/etc/hostid': 'into-store',
        '/etc/token': 'backup',
      });
      assert.ok(seen?.do === 'inspect');
      // targets show the store; the ephemeral copies are in the store or its backups
      assert.equal(seen.paths['/srv/www/index.html']!.content, 'hello');
      assert.equal(seen.paths['/srv/www/img/logo.png']!.content, 'PNG');
      assert.equal(seen.paths['/srv/db/rows']!.content, 'store rows');
      assert.equal(seen.paths['/etc/hostid']!.content, 'abcd');
      assert.equal(seen.paths['/etc/token']!.content, 'store token');
      assert.equal(fs.readFileSync(store('/srv/www/img/logo.png'), 'utf8'), 'PNG');
      // one file system: renamed, the same inode; across: copied
      assert.ok(inode?.do === 'sh');
      const moved = String(fs.statSync(store('/srv/www/index.html')).ino) === inode.stdout.trim();
      assert.equal(moved, rootOnDisk);
      const backups = fs.readdirSync(store('/.keepsake/backup'));
      assert.equal(backups.length, 1);
      const backup = store(`/.keepsake/backup/${backups[0]}`);
      assert.equal(fs.readFileSync(`${backup}/srv/db/rows`, 'utf8'), 'ephemeral rows');
      assert.equal(fs.readFileSync(`${backup}/etc/token`, 'utf8'), 'ephemeral token');
      // after a reboot everything is still there
      const [again, later] = s.boot([
        { do: 'apply' },
        { do: 'inspect', paths: ['/srv/www/index.html', '/etc/hostid'] },
      ]);
      assert.equal(applied(again).status, 0, applied(again).stderr);
      assert.ok(later?.do === 'inspect');
      assert.equal(later.paths['/srv/www/index.html']!.content, 'hello');
      assert.equal(later.paths['/etc/hostid']!.content, 'abcd');
    });
  }

  it('adopts per entry with adopt: true, keeping owners and modes', () => {
    const { s, store } = system({
      config:
        'persistence:\n  /persist:\n    directories: [{ directory: /srv/www, adopt: true }]\n',
    });
    const [, , , r] = s.boot([
      { do: 'write', path: '/srv/www/index.html', content: 'hello', uid: 1234 },
      { do: 'mkdir', path: '/srv/www/sub' },
      { do: 'write', path: '/srv/www/sub/x', content: 'x' },
      { do: 'apply' },
    ]);
    assert.equal(applied(r).status, 0, applied(r).stderr);
    const st = fs.statSync(store('/srv/www/index.html'));
    assert.equal(st.uid, 1234);
    assert.equal(fs.readFileSync(store('/srv/www/sub/x'), 'utf8'), 'x');
  });
});
