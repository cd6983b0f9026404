// Config changes on a running system: what the configuration dropped or changed is taken
// down (only what keepsake made), the stored data stays, and generations record each setup.

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

const BEFORE = `persistence:
  /persist:
    hideMounts: true
    directories: [/var/log, /srv/old, /srv/moving, /srv/flip]
    files: [/etc/old.conf]
`;
const AFTER = `persistence:
  /persist:
    hideMounts: true
    directories: [/var/log, { directory: /srv/flip, method: symlink }]
  /state:
    directories: [/srv/moving]
`;

type Applied = Extract<StepResult, { do: 'apply' }>;
const applied = (r: StepResult | undefined): Applied => {
  assert.ok(r?.do === 'apply');
  return r;
};
const summary = (r: Applied) =>
  JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    ok: boolean;
    actions: number;
    generation: number;
    released: Array<{ target: string; outcome: string; store: string }>;
  };

function system() {
  const s = new TestSystem({ config: BEFORE, stores: ['/persist', '/state'] });
  systems.push(s);
  fs.mkdirSync(s.disk('/persist', '/srv/old'), { recursive: true });
  fs.writeFileSync(s.disk('/persist', '/srv/old/keep.txt'), 'old data');
  fs.mkdirSync(s.disk('/state', '/srv/moving'), { recursive: true });
  fs.writeFileSync(s.disk('/state', '/srv/moving/new.txt'), 'state copy');
  return s;
}

describe('config changes between applies', { skip }, () => {
  it('takes down dropped entries, moves changed ones, keeps every byte in the stores', () => {
    const s = system();
    const [first, , , , drifted, second, third, state, mounts] = s.boot([
      { do: 'apply', args: ['--json'] },
      { do: 'write', path: '/srv/moving/persist.txt', content: 'persist copy' },
      { do: 'write', path: '/etc/old.conf', content: 'conf' },
      { do: 'set-config', text: AFTER },
      { do: 'apply', command: 'status' },
      { do: 'apply', args: ['--json'] },
      { do: 'apply', args: ['--json'] },
      {
        do: 'inspect',
        paths: [
          '/srv/old',
          '/srv/moving/new.txt',
          '/srv/moving/persist.txt',
          '/srv/flip',
          '/etc/old.conf',
        ],
      },
      { do: 'mounts' },
    ]);
    assert.equal(applied(first).status, 0, applied(first).stderr);
    assert.equal(summary(applied(first)).generation, 1);
    // before the apply, status names what is still set up but no longer declared
    assert.equal(applied(drifted).status, 1);
    assert.match(
      applied(drifted).stdout,
      /stale {4}\/srv\/old .*its data stays in \/persist\/srv\/old/,
    );
    const change = applied(second);
    assert.equal(change.status, 0, change.stderr + change.stdout);
    const sum = summary(change);
    assert.equal(sum.generation, 2);
    const released = Object.fromEntries(sum.released.map((r) => [r.target, r.outcome]));
    assert.deepEqual(released, {
      '/srv/old': 'taken-down',
      '/srv/moving': 'taken-down',
      '/srv/flip': 'taken-down',
      '/etc/old.conf': 'taken-down',
    });
    // the next apply is a no-op and stays on the same generation
    assert.deepEqual([summary(applied(third)).actions, summary(applied(third)).generation], [0, 2]);
    assert.ok(state?.do === 'inspect');
    const p = state.paths;
    assert.equal(p['/srv/old']!.type, 'missing', 'the mount point keepsake made is gone');
    assert.equal(p['/srv/moving/new.txt']!.content, 'state copy', 'now from the new store');
    assert.equal(p['/srv/moving/persist.txt']!.type, 'missing');
    assert.equal(p['/srv/flip']!.link, '/persist/srv/flip');
    assert.equal(p['/etc/old.conf']!.type, 'missing', 'the link keepsake made is gone');
    assert.ok(mounts?.do === 'mounts');
    assert.ok(!mounts.points.includes('/srv/old'));
    assert.doesNotMatch(mounts.utab, /TARGET=\/srv\/old /);
    assert.doesNotMatch(mounts.utab, /TARGET=\/srv\/moving /, '/state does not hide its mounts');
    // nothing was lost: every byte is still in a store
    assert.equal(fs.readFileSync(s.disk('/persist', '/srv/old/keep.txt'), 'utf8'), 'old data');
    assert.equal(
      fs.readFileSync(s.disk('/persist', '/srv/moving/persist.txt'), 'utf8'),
      'persist copy',
    );
    assert.equal(fs.readFileSync(s.disk('/persist', '/etc/old.conf'), 'utf8'), 'conf');
    // Each record with its setup digest beside it.
    assert.deepEqual(fs.readdirSync(s.disk('/persist', '/.keepsake/generations')), [
      '000001.json',
      '000001.setup',
      '000002.json',
      '000002.setup',
    ]);
    assert.deepEqual(fs.readdirSync(s.disk('/state', '/.keepsake/generations')), [
      '000002.json',
      '000002.setup',
    ]);

    // a reboot with the same configuration is the same generation
    const [rebooted] = s.boot([{ do: 'apply', args: ['--json'] }]);
    assert.equal(applied(rebooted).status, 0, applied(rebooted).stderr);
    assert.equal(summary(applied(rebooted)).generation, 2);
    assert.deepEqual(summary(applied(rebooted)).released, []);
  });

  it('leaves alone what it did not make', () => {
    const s = system();
    const [first, , , , second, state] = s.boot([
      { do: 'apply' },
      // a program replaced keepsake's link with a file of its own
      { do: 'remove', path: '/etc/old.conf' },
      { do: 'write', path: '/etc/old.conf', content: 'mine' },
      { do: 'set-config', text: BEFORE.replace('    files: [/etc/old.conf]\n', '') },
      { do: 'apply', args: ['--json'] },
      { do: 'inspect', paths: ['/etc/old.conf'] },
    ]);
    assert.equal(applied(first).status, 0, applied(first).stderr);
    const change = applied(second);
    assert.equal(change.status, 0, change.stdout);
    assert.deepEqual(
      summary(change).released.map((r) => [r.target, r.outcome]),
      [['/etc/old.conf', 'left']],
    );
    assert.ok(state?.do === 'inspect');
    assert.equal(state.paths['/etc/old.conf']!.content, 'mine');
  });

  it('undoes a transition that fails half-way: the old setup is back', () => {
    const s = system();
    const [first, before, , failed, after] = s.boot([
      { do: 'apply' },
      { do: 'mounts' },
      { do: 'set-config', text: AFTER },
      { do: 'apply', args: ['--json'], env: { KEEPSAKE_FAIL_AT_ACTION: '6' } },
      { do: 'mounts' },
    ]);
    assert.equal(applied(first).status, 0, applied(first).stderr);
    const f = applied(failed);
    assert.equal(f.status, 1);
    const events = f.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status?: string });
    assert.ok(events.some((e) => e.status === 'undone'));
    assert.ok(!events.some((e) => e.status === 'undo-failed'));
    assert.ok(before?.do === 'mounts' && after?.do === 'mounts');
    assert.deepEqual([...after.points].sort(), [...before.points].sort());
    assert.equal(after.utab, before.utab);
  });

  it('lists generations, diffs them, and rolls back to an earlier one', () => {
    const s = system();
    const [, , , list, diff, rollback, mounts, state] = s.boot([
      { do: 'apply' },
      { do: 'set-config', text: AFTER },
      { do: 'apply' },
      { do: 'apply', command: 'generations', args: ['--json'] },
      { do: 'apply', command: 'diff-generations', args: ['1', '2', '--json'] },
      { do: 'apply', command: 'rollback', args: ['--json'] },
      { do: 'mounts' },
      { do: 'inspect', paths: ['/srv/old/keep.txt', '/srv/flip'] },
    ]);
    const l = JSON.parse(applied(list).stdout) as {
      live: number;
      generations: Array<{ number: number }>;
    };
    assert.deepEqual([l.live, l.generations.map((g) => g.number)], [2, [1, 2]]);
    const d = JSON.parse(applied(diff).stdout) as {
      removed: Array<{ target: string }>;
      changed: Array<{ target: string; changes: string[] }>;
    };
    assert.deepEqual(d.removed.map((e) => e.target).sort(), ['/etc/old.conf', '/srv/old']);
    assert.deepEqual(d.changed.map((c) => [c.target, c.changes]).sort(), [
      ['/srv/flip', ['method: auto → symlink']],
      [
        '/srv/moving',
        ['store: /persist/srv/moving → /state/srv/moving', 'hideMount: true → false'],
      ],
    ]);
    const r = applied(rollback);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { generation: number };
    assert.equal(result.generation, 3);
    assert.ok(mounts?.do === 'mounts');
    for (const p of ['/srv/old', '/srv/moving', '/srv/flip'])
      assert.ok(mounts.points.includes(p), p);
    assert.ok(state?.do === 'inspect');
    assert.equal(state.paths['/srv/old/keep.txt']!.content, 'old data');
    assert.equal(state.paths['/srv/flip']!.type, 'directory');
  });

  it('handles each entry kind: a bound file dropped, entries added, a link turned into a bind', () => {
    const s = new TestSystem({
      config: `persistence:
  /persist:
    directories: [{ directory: /srv/cache, method: symlink }]
    files: [/etc/bound.conf]
`,
      stores: ['/persist'],
    });
    systems.push(s);
    fs.mkdirSync(s.disk('/persist', '/etc'), { recursive: true });
    fs.writeFileSync(s.disk('/persist', '/etc/bound.conf'), 'bound');
    const [first, before, , second, after, seen] = s.boot([
      { do: 'apply' },
      { do: 'inspect', paths: ['/etc/bound.conf', '/srv/cache'] },
      {
        do: 'set-config',
        text: `persistence:
  /persist:
    directories: [/srv/cache, /srv/new]
    files: [/etc/new.conf]
`,
      },
      { do: 'apply', args: ['--json'] },
      { do: 'mounts' },
      { do: 'inspect', paths: ['/etc/bound.conf', '/srv/cache', '/srv/new', '/etc/new.conf'] },
    ]);
    assert.equal(applied(first).status, 0, applied(first).stderr);
    assert.ok(before?.do === 'inspect');
    assert.equal(before.paths['/etc/bound.conf']!.content, 'bound');
    assert.equal(before.paths['/srv/cache']!.link, '/persist/srv/cache');
    const change = applied(second);
    assert.equal(change.status, 0, change.stdout);
    assert.deepEqual(
      summary(change)
        .released.map((r) => [r.target, r.outcome])
        .sort(),
      [
        ['/etc/bound.conf', 'taken-down'],
        ['/srv/cache', 'taken-down'],
      ],
    );
    assert.ok(after?.do === 'mounts' && seen?.do === 'inspect');
    assert.ok(!after.points.includes('/etc/bound.conf'), 'the file is unmounted');
    assert.equal(seen.paths['/etc/bound.conf']!.type, 'missing', 'and its placeholder is gone');
    assert.ok(after.points.includes('/srv/cache'), 'the link became a bind');
    assert.equal(seen.paths['/srv/cache']!.type, 'directory');
    assert.ok(after.points.includes('/srv/new'));
    assert.equal(seen.paths['/etc/new.conf']!.link, '/persist/etc/new.conf');
    assert.equal(fs.readFileSync(s.disk('/persist', '/etc/bound.conf'), 'utf8'), 'bound');
  });

  it('moves a parent to another store and mounts its nested entries again inside it', () => {
    const s = new TestSystem({
      config:
        'persistence:\n  /persist:\n    directories: [/data]\n  /other:\n    directories: [/data/inner]\n',
      stores: ['/persist', '/state', '/other'],
    });
    systems.push(s);
    fs.mkdirSync(s.disk('/other', '/data/inner'), { recursive: true });
    fs.writeFileSync(s.disk('/other', '/data/inner/kept'), 'inner data');
    const [first, , second, m, seen] = s.boot([
      { do: 'apply' },
      {
        do: 'set-config',
        text: 'persistence:\n  /state:\n    directories: [/data]\n  /other:\n    directories: [/data/inner]\n',
      },
      { do: 'apply', args: ['--json'] },
      { do: 'mounts' },
      { do: 'inspect', paths: ['/data/inner/kept'] },
    ]);
    assert.equal(applied(first).status, 0, applied(first).stderr);
    assert.equal(applied(second).status, 0, applied(second).stdout);
    assert.ok(m?.do === 'mounts' && seen?.do === 'inspect');
    assert.equal(seen.paths['/data/inner/kept']!.content, 'inner data');
    assert.equal(m.points.filter((p) => p === '/data').length, 1);
    assert.equal(m.points.filter((p) => p === '/data/inner').length, 1);
    assert.ok(
      m.points.indexOf('/data') < m.points.indexOf('/data/inner'),
      'the child again on top',
    );
    const events = applied(second)
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      events.some((e) => e.action?.kind === 'unmount' && e.action.target === '/data/inner'),
    );
  });

  it('does not call data orphaned, or prune it, while its entry is still live', () => {
    const s = new TestSystem({
      config: 'persistence:\n  /persist:\n    directories: [/var/log, /srv/keep]\n',
      stores: ['/persist'],
    });
    systems.push(s);
    const [first, , , before, pruneEarly, , after] = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/srv/keep/data', content: 'still mounted' },
      { do: 'set-config', text: 'persistence:\n  /persist:\n    directories: [/var/log]\n' },
      { do: 'apply', command: 'orphans', args: ['--json'] },
      { do: 'apply', command: 'prune', args: ['/persist/srv/keep', '--yes'] },
      { do: 'apply' },
      { do: 'apply', command: 'orphans', args: ['--json'] },
    ]);
    assert.equal(applied(first).status, 0, applied(first).stderr);
    const paths = (r: StepResult | undefined) =>
      (JSON.parse(applied(r).stdout) as { orphans: Array<{ path: string }> }).orphans.map(
        (o) => o.path,
      );
    assert.ok(
      !paths(before).some((p) => p.startsWith('/persist/srv')),
      'live data is not orphaned',
    );
    assert.notEqual(applied(pruneEarly).status, 0);
    assert.equal(fs.readFileSync(s.disk('/persist', '/srv/keep/data'), 'utf8'), 'still mounted');
    assert.ok(
      paths(after).some((p) => p.startsWith('/persist/srv')),
      'after the apply it is',
    );
  });

  it('rewrites the utab line when hideMounts or allowTrash change', () => {
    const s = new TestSystem({
      config: 'persistence:\n  /persist:\n    hideMounts: true\n    directories: [/var/log]\n',
      stores: ['/persist'],
    });
    systems.push(s);
    const [, m1, , , m2, , , m3] = s.boot([
      { do: 'apply' },
      { do: 'mounts' },
      { do: 'set-config', text: 'persistence:\n  /persist:\n    directories: [/var/log]\n' },
      { do: 'apply' },
      { do: 'mounts' },
      {
        do: 'set-config',
        text: 'persistence:\n  /persist:\n    allowTrash: true\n    directories: [/var/log]\n',
      },
      { do: 'apply' },
      { do: 'mounts' },
    ]);
    assert.ok(m1?.do === 'mounts' && m2?.do === 'mounts' && m3?.do === 'mounts');
    assert.match(m1.utab, /TARGET=\/var\/log .*OPTS=x-gvfs-hide$/m);
    assert.doesNotMatch(m2.utab, /TARGET=\/var\/log /);
    assert.match(m3.utab, /TARGET=\/var\/log .*OPTS=x-gvfs-trash$/m);
    assert.equal(m3.utab.trim().split('\n').length, 1);
  });
});
