// Roots at the edges: no /run at all (an install into /mnt, a chroot), /run/mount missing or
// in the way, a link planted where the lock lives. One keepsake at a time must still hold,
// and a file manager's hint must never cost the persistence.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLI,
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

function system(config: string, stores = ['/persist']) {
  const s = new TestSystem({ config, stores });
  systems.push(s);
  return s;
}

function ran(r: StepResult | undefined) {
  assert.ok(r && (r.do === 'apply' || r.do === 'sh'), `not a command step: ${JSON.stringify(r)}`);
  return r;
}

/** No JavaScript stack frame in what the user sees. */
function noStack(text: string) {
  assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, text);
}

const LOG = 'persistence:\n  /persist:\n    directories: [/var/log]\n';
const HIDDEN = 'persistence:\n  /persist:\n    hideMounts: true\n    directories: [/var/log]\n';

describe('a root without /run', { skip }, () => {
  it('two staggered applies: the second refuses, nothing is mounted twice', () => {
    const s = system(LOG);
    const [, twice, mounts, lock] = s.boot([
      { do: 'remove', path: '/run' },
      { do: 'apply-twice-at-once', holdMs: 1500 },
      { do: 'mounts' },
      { do: 'inspect', paths: ['/run', '/run/keepsake/lock'] },
    ]);
    assert.ok(twice?.do === 'apply-twice-at-once');
    assert.equal(twice.first.status, 0, twice.first.stderr);
    assert.equal(twice.second.status, 2, twice.second.stderr);
    assert.match(
      twice.second.stderr,
      /another keepsake is working on .*: pid \d+ \(keepsake apply/,
    );
    noStack(twice.second.stderr);
    assert.ok(mounts?.do === 'mounts');
    assert.deepEqual(
      mounts.points.filter((p) => p === '/var/log'),
      ['/var/log'],
    );
    // The lock is where it is on every root: <root>/run/keepsake/lock, /run made as systemd has it.
    assert.ok(lock?.do === 'inspect');
    assert.equal(lock.paths['/run']!.type, 'directory');
    assert.equal(lock.paths['/run']!.mode, '0755');
    assert.equal(lock.paths['/run/keepsake/lock']!.type, 'file');
    assert.match(twice.first.stderr, /\/run was missing/);
  });

  it('hideMounts: /run/mount is made as util-linux makes it, and the line written', () => {
    const s = system(HIDDEN);
    const [, apply, mounts, made] = s.boot([
      { do: 'remove', path: '/run' },
      { do: 'apply' },
      { do: 'mounts' },
      { do: 'inspect', paths: ['/run/mount'] },
    ]);
    assert.equal(ran(apply).status, 0, ran(apply).stderr);
    assert.ok(mounts?.do === 'mounts');
    assert.ok(mounts.points.includes('/var/log'));
    assert.match(mounts.utab, /TARGET=\/var\/log .*OPTS=x-gvfs-hide/);
    assert.ok(made?.do === 'inspect');
    assert.deepEqual(
      [
        made.paths['/run/mount']!.type,
        made.paths['/run/mount']!.mode,
        made.paths['/run/mount']!.uid,
      ],
      ['directory', '0755', 0],
    );
  });

  it('hideMounts with /run/mount in the way: a warning, the bind stays', () => {
    const s = system(HIDDEN);
    const [, apply, mounts, again] = s.boot([
      { do: 'write', path: '/run/mount', content: 'not a directory\n' },
      { do: 'apply' },
      { do: 'mounts' },
      { do: 'apply', command: 'status' },
    ]);
    assert.equal(ran(apply).status, 0, ran(apply).stdout + ran(apply).stderr);
    const said = ran(apply).stdout + ran(apply).stderr;
    assert.match(said, /skipped .*utab/);
    assert.match(said, /run\/mount/);
    noStack(said);
    assert.ok(mounts?.do === 'mounts');
    assert.ok(mounts.points.includes('/var/log'), JSON.stringify(mounts.points));
    assert.equal(ran(again).status, 0, ran(again).stdout);
  });
});

describe('the lock file', { skip }, () => {
  it('a link planted at run/keepsake/lock: a refusal with a hint, the link never followed', () => {
    const s = system(LOG);
    const [, , apply, after] = s.boot([
      { do: 'sh', cmd: 'mkdir -m 700 $ROOT/run/keepsake && echo keep > $ROOT/etc/victim' },
      { do: 'symlink', path: '/run/keepsake/lock', to: '/etc/victim' },
      { do: 'apply' },
      { do: 'inspect', paths: ['/etc/victim', '/var/log'] },
    ]);
    assert.equal(ran(apply).status, 1);
    assert.match(ran(apply).stderr, /symbolic link .*run\/keepsake\/lock/);
    assert.match(ran(apply).stderr, /hint: /);
    noStack(ran(apply).stderr);
    assert.ok(after?.do === 'inspect');
    assert.equal(after.paths['/etc/victim']!.content, 'keep\n');
  });
});

describe('add with the configuration on a read-only store', { skip }, () => {
  it('a message naming the file and a hint; nothing moved', () => {
    const s = system(LOG);
    const cfg = '$ROOT/persist/keepsake.yaml';
    const [, , add, after] = s.boot([
      { do: 'write', path: '/var/lib/app/state', content: 'mine\n' },
      {
        do: 'sh',
        cmd: `cp ${s.configFile} ${cfg} && mount -n -o remount,bind,ro $ROOT/persist`,
      },
      {
        do: 'sh',
        cmd: `NO_COLOR=1 ${process.execPath} ${CLI} add /var/lib/app --root $ROOT --config ${cfg}`,
      },
      { do: 'inspect', paths: ['/var/lib/app/state'] },
    ]);
    assert.notEqual(ran(add).status, 0);
    assert.match(ran(add).stderr, /keepsake: .*read-only/);
    assert.match(ran(add).stderr, /hint: /);
    noStack(ran(add).stderr);
    assert.ok(after?.do === 'inspect');
    assert.equal(after.paths['/var/lib/app/state']!.content, 'mine\n');
  });
});
