// Adoption against a hostile world: a full store, a read-only store, a foreign file system
// mounted inside the tree, and keepsake killed at every step of a move. Each time the data
// is whole in one place, the store is as it was or holds the finished move, and the next
// run finishes the same move instead of starting another.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  applied,
  requireNamespaces,
  type Step,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const ran = applied;
const shOut = (r: StepResult | undefined) => {
  assert.ok(r?.do === 'sh');
  return r.stdout;
};

const BASE = 'persistence:\n  /persist:\n    directories: [/var/log]\n';
const DECLARED = 'persistence:\n  /persist:\n    directories: [/var/log, /srv/app]\n';

/** Everything in the store: names, sizes and contents (and the space used on its own fs). */
const storeState = (used: boolean): Step => ({
  do: 'sh',
  cmd: `cd "$ROOT/persist" && find . -printf "%p %s %m\\n" | sort && find . -type f -exec sha256sum {} + | sort${used ? ' && df --output=used . | tail -1' : ''}`,
});
/** The data in /srv/app, by content. */
const APP_STATE: Step = {
  do: 'sh',
  cmd: 'cd "$ROOT/srv/app" && find . -type f -exec sha256sum {} + | sort',
};

function sys(config = BASE) {
  const s = new TestSystem({ config, stores: ['/persist'] });
  systems.push(s);
  return s;
}

describe('adoption under faults', { skip }, () => {
  it('a full store: the partial copy goes, the original and the store stay as they were', () => {
    const s = sys();
    const r = s.boot([
      { do: 'sh', cmd: 'mount -n -t tmpfs -o size=1m tmpfs "$ROOT/persist"' },
      { do: 'apply' },
      {
        do: 'sh',
        cmd: 'mkdir -p "$ROOT/srv/app" && for i in 1 2 3 4; do head -c 400000 /dev/urandom > "$ROOT/srv/app/blob$i"; done',
      },
      APP_STATE,
      storeState(true),
      { do: 'apply', command: 'add', args: ['/srv/app'] },
      APP_STATE,
      storeState(true),
    ]);
    const add = ran(r[5]);
    assert.equal(add.status, 1);
    assert.match(add.stdout, /ENOSPC|no space left/i, add.stdout);
    assert.doesNotMatch(add.stdout + add.stderr, /undo-failed/);
    assert.equal(shOut(r[6]), shOut(r[3]), 'the original is untouched');
    assert.equal(shOut(r[7]), shOut(r[4]), 'the store is as it was');
  });

  it('a read-only store: refused with the reason, nothing changed', () => {
    const s = sys();
    fs.mkdirSync(s.disk('/persist', '/srv'), { recursive: true });
    const r = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/srv/app/a', content: 'a' },
      { do: 'write', path: '/srv/app/sub/b', content: 'b' },
      { do: 'sh', cmd: 'mount -n -o remount,bind,ro "$ROOT/persist"' },
      APP_STATE,
      storeState(false),
      { do: 'apply', command: 'add', args: ['/srv/app'] },
      APP_STATE,
      storeState(false),
    ]);
    const add = ran(r[6]);
    assert.equal(add.status, 1);
    assert.match(add.stdout, /EROFS|read-only/i, add.stdout);
    assert.doesNotMatch(add.stdout + add.stderr, /undo-failed/);
    assert.equal(shOut(r[7]), shOut(r[4]));
    assert.equal(shOut(r[8]), shOut(r[5]));
  });

  it('a file system mounted inside the tree: the plan refuses, nothing changed', () => {
    const s = sys();
    const r = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/srv/app/own', content: 'own data' },
      {
        do: 'sh',
        cmd: 'mkdir "$ROOT/srv/app/cache" && mount -n -t tmpfs tmpfs "$ROOT/srv/app/cache" && echo foreign > "$ROOT/srv/app/cache/c"',
      },
      { do: 'apply', command: 'add', args: ['/srv/app'] },
      { do: 'set-config', text: DECLARED },
      { do: 'apply', args: ['--adopt'] },
      { do: 'inspect', paths: ['/srv/app/own', '/srv/app/cache/c'] },
    ]);
    for (const a of [ran(r[3]), ran(r[5])]) {
      assert.equal(a.status, 2, a.stdout + a.stderr);
      assert.match(a.stderr, /\/srv\/app\/cache/);
      assert.match(a.stderr, /mounted/);
    }
    const seen = r[6];
    assert.ok(seen?.do === 'inspect');
    assert.equal(seen.paths['/srv/app/own']!.content, 'own data');
    assert.equal(seen.paths['/srv/app/cache/c']!.content, 'foreign\n');
    assert.equal(fs.existsSync(s.disk('/persist', '/srv/app')), false);
  });

  for (const rootOnDisk of [false, true]) {
    it(`killed at every step of a move (${rootOnDisk ? 'one file system' : 'across file systems'}), the next add finishes that move and loses nothing`, () => {
      const files: Record<string, string> = {
        '/srv/app/a': 'first',
        '/srv/app/sub/b': 'second',
        '/srv/app/sub/c': 'third',
        '/srv/app/d': 'fourth',
      };
      let killedAt = 0;
      for (let k = 1; k < 100; k++) {
        const s = new TestSystem({
          config: BASE,
          stores: rootOnDisk ? [] : ['/persist'],
          rootOnDisk,
        });
        systems.push(s);
        const disk = (p: string) =>
          rootOnDisk ? `${s.dir}/rootdisk/persist${p}` : s.disk('/persist', p);
        if (rootOnDisk) fs.mkdirSync(disk(''), { recursive: true });
        const r = s.boot([
          { do: 'apply' },
          ...Object.entries(files).map(
            ([path, content]) => ({ do: 'write', path, content }) as Step,
          ),
          {
            do: 'apply',
            command: 'add',
            args: ['/srv/app'],
            env: { KEEPSAKE_KILL_IN_MOVE: String(k) },
          },
          { do: 'apply', command: 'add', args: ['/srv/app'] },
          { do: 'apply', args: ['--json'] },
          { do: 'inspect', paths: Object.keys(files) },
        ]);
        const [killed, rerun, noop, seen] = r.slice(1 + Object.keys(files).length);
        if (ran(killed).status === 0) break;
        killedAt = k;
        assert.equal(ran(killed).status, -1, `kill ${k}: ${ran(killed).stdout}`);
        assert.equal(ran(rerun).status, 0, `kill ${k}: ${ran(rerun).stdout}${ran(rerun).stderr}`);
        const noopOut = ran(noop).stdout.trim().split('\n').at(-1)!;
        assert.equal(JSON.parse(noopOut).actions, 0, `kill ${k}: converged`);
        assert.ok(seen?.do === 'inspect');
        for (const [path, content] of Object.entries(files)) {
          assert.equal(seen.paths[path]!.content, content, `kill ${k}: ${path}`);
          assert.equal(fs.readFileSync(disk(path), 'utf8'), content);
        }
        // the same move was finished: no second copy set aside, no journal left
        assert.equal(fs.existsSync(disk('/.keepsake/backup')), false, `kill ${k}`);
        const moves = disk('/.keepsake/moves');
        assert.deepEqual(fs.existsSync(moves) ? fs.readdirSync(moves) : [], [], `kill ${k}`);
        const partial = disk('/srv/.app.keepsake-partial');
        assert.equal(fs.existsSync(partial), false, `kill ${k}`);
      }
      process.stdout.write(`# killed at each of ${killedAt} steps\n`);
      assert.ok(
        killedAt >= (rootOnDisk ? 4 : 8),
        `a move has many steps to be killed at (${killedAt})`,
      );
    });
  }
});
