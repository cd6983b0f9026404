// `apply --keep-going`, as keepsake.service runs it at boot: an entry whose target already holds
// data is left alone (its data stays visible, nothing is mounted over it), and so is every entry
// inside it; every other entry is put in place, the skipped ones are named with the reason, the
// live record lists them, and the exit status is 1. A plain apply stays all-or-nothing.

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

function system(opts: ConstructorParameters<typeof TestSystem>[0]) {
  const s = new TestSystem(opts);
  systems.push(s);
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
function mountPoints(r: StepResult | undefined): string[] {
  assert.ok(r && r.do === 'mounts');
  return r.points;
}

interface Summary {
  ok: boolean;
  actions: number;
  skipped?: Array<{ entry: string; target: string; reason: string; inside?: string }>;
}
function summary(stdout: string): Summary {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Summary;
}

// /var/lib/app gets data before keepsake runs. Inside it: a same-store entry (covered by its
// bind) and another store's entry (a mount of its own); both must be skipped with it.
const CONFIG = `persistence:
  /persist:
    directories:
      - /var/log
      - /var/lib/app
      - /var/lib/app/plugins
      - /srv/data
    files:
      - /etc/app.conf
    users:
      jane:
        directories: [Documents]
  /scratch:
    directories:
      - /var/lib/app/cache
      - /var/cache/big
`;
const JANE = { name: 'jane', uid: 1000 };
const IN_PLACE = ['/var/log', '/srv/data', '/home/jane/Documents', '/var/cache/big'];
const SKIPPED = [
  'directory:/var/lib/app',
  'directory:/var/lib/app/cache',
  'directory:/var/lib/app/plugins',
];
const early = { do: 'write', path: '/var/lib/app/early.txt', content: 'written early\n' } as const;

describe('apply --keep-going in a booted namespace', { skip }, () => {
  it('puts every other entry in place, leaves the problem entry and what is inside it alone, and exits 1', () => {
    const s = system({ config: CONFIG, stores: ['/persist', '/scratch'], users: [JANE] });
    const [, r, state, mounts, record] = s.boot([
      early,
      { do: 'apply', args: ['--keep-going', '--json'] },
      {
        do: 'inspect',
        paths: [
          '/var/lib/app',
          '/var/lib/app/early.txt',
          '/home/jane/Documents',
          '/etc/app.conf',
          '/persist/var/lib/app',
        ],
      },
      { do: 'mounts' },
      { do: 'sh', cmd: 'cat "$ROOT/run/keepsake/applied.json"' },
    ]);
    const a = applied(r);
    assert.equal(a.status, 1, `exit status\n${a.stdout}${a.stderr}`);
    const sum = summary(a.stdout);
    assert.equal(sum.ok, false);
    assert.deepEqual(sum.skipped?.map((x) => x.entry).sort(), SKIPPED);
    const own = sum.skipped?.find((x) => x.entry === 'directory:/var/lib/app');
    assert.match(own?.reason ?? '', /already holds 1 file/);
    const nested = sum.skipped?.find((x) => x.entry === 'directory:/var/lib/app/cache');
    assert.equal(nested?.inside, '/var/lib/app');

    const points = mountPoints(mounts);
    for (const t of IN_PLACE) assert.ok(points.includes(t), `${t} is not mounted: ${points}`);
    for (const t of ['/var/lib/app', '/var/lib/app/cache', '/var/lib/app/plugins'])
      assert.ok(!points.includes(t), `${t} is mounted although it was skipped`);
    const p = inspected(state);
    // The data in the way is still there, and visible.
    assert.equal(p['/var/lib/app/early.txt']!.content, 'written early\n');
    assert.deepEqual(p['/var/lib/app']!.names, ['early.txt']);
    // Nothing was made for the skipped entries, in the store either.
    assert.equal(p['/persist/var/lib/app']!.type, 'missing');
    assert.equal(p['/home/jane/Documents']!.uid, 1000);
    assert.equal(p['/etc/app.conf']!.link, '/persist/etc/app.conf');

    // The live record names what was skipped, for `keepsake status`.
    assert.ok(record?.do === 'sh');
    const live = JSON.parse(record.stdout) as { skipped?: Array<{ entry: string }> };
    assert.deepEqual(live.skipped?.map((x) => x.entry).sort(), SKIPPED);
    assert.ok(fs.existsSync(s.disk('/persist', '/.keepsake/generations/000001.json')));
  });

  it('names each skipped entry, why, and what to do; status shows them; a later apply completes it', () => {
    const s = system({ config: CONFIG, stores: ['/persist', '/scratch'], users: [JANE] });
    const [, r, status, , again, mounts, live] = s.boot([
      early,
      { do: 'apply', args: ['--keep-going'] },
      { do: 'apply', command: 'status' },
      { do: 'sh', cmd: 'mv "$ROOT/var/lib/app/early.txt" "$ROOT/early.txt"' },
      { do: 'apply', args: ['--keep-going'] },
      { do: 'mounts' },
      { do: 'sh', cmd: 'cat "$ROOT/run/keepsake/applied.json"' },
    ]);
    const a = applied(r);
    assert.equal(a.status, 1, a.stdout + a.stderr);
    const text = a.stdout + a.stderr;
    assert.match(text, /skipped directory:\/var\/lib\/app: \/var\/lib\/app already holds 1 file/);
    assert.match(text, /fix: run keepsake apply --adopt/);
    assert.match(text, /skipped directory:\/var\/lib\/app\/cache: inside \/var\/lib\/app/);
    assert.match(text, /3 of 8 entries skipped/);
    assert.match(applied(status).stdout, /the last apply skipped 3 entries/);
    // With the data moved away, the next apply puts the rest in place and succeeds.
    const b = applied(again);
    assert.equal(b.status, 0, b.stdout + b.stderr);
    const points = mountPoints(mounts);
    for (const t of ['/var/lib/app', '/var/lib/app/cache'])
      assert.ok(points.includes(t), `${t} is not mounted after the fix: ${points}`);
    assert.ok(live?.do === 'sh');
    assert.equal((JSON.parse(live.stdout) as { skipped?: unknown }).skipped, undefined);
  });

  it('a plain apply stays all-or-nothing', () => {
    const s = system({ config: CONFIG, stores: ['/persist', '/scratch'], users: [JANE] });
    const [, r, mounts] = s.boot([early, { do: 'apply' }, { do: 'mounts' }]);
    const a = applied(r);
    assert.equal(a.status, 2);
    assert.match(a.stderr, /nothing was changed/);
    for (const t of IN_PLACE) assert.ok(!mountPoints(mounts).includes(t), `${t} was mounted`);
  });

  it('a store on the root file system stops everything, even with --keep-going', () => {
    const s = system({ config: CONFIG, stores: ['/persist'], users: [JANE] });
    const [, r, mounts] = s.boot([
      early,
      { do: 'apply', args: ['--keep-going'] },
      { do: 'mounts' },
    ]);
    const a = applied(r);
    assert.equal(a.status, 2);
    assert.match(a.stderr, /\/scratch is on the same tmpfs as the root/);
    assert.match(a.stderr, /nothing was changed/);
    for (const t of IN_PLACE) assert.ok(!mountPoints(mounts).includes(t), `${t} was mounted`);
  });

  it('the store holding the configuration is not mounted: says so, and changes nothing', () => {
    const s = system({
      config: 'persistence:\n  /persist:\n    directories: [/var/log]\n',
      stores: ['/persist'],
    });
    // The configuration lives in the store; at this boot the store is not there.
    const inStore = ['--config', `${s.dir}/root/persist/keepsake.yaml`];
    const [, empty, , missing, mounts] = s.boot([
      { do: 'sh', cmd: 'umount "$ROOT/persist"' },
      { do: 'apply', args: ['--keep-going', ...inStore] },
      { do: 'sh', cmd: 'rmdir "$ROOT/persist"' },
      { do: 'apply', args: ['--keep-going', ...inStore] },
      { do: 'mounts' },
    ]);
    for (const [r, what] of [
      [empty, /\/persist is empty and nothing is mounted there/],
      [missing, /\/persist does not exist/],
    ] as const) {
      const a = applied(r);
      assert.equal(a.status, 2, a.stderr);
      assert.match(a.stderr, what);
      assert.match(a.stderr, /the store that holds the configuration is not mounted/);
      assert.doesNotMatch(a.stderr, /create it/);
    }
    assert.deepEqual(mountPoints(mounts), []);
  });

  it('a step that fails costs only its entry, at every step: undone, named, the rest in place', () => {
    const setup = (): TestSystem => {
      const s = system({ config: CONFIG, stores: ['/persist', '/scratch'], users: [JANE] });
      fs.mkdirSync(s.disk('/persist', '/srv/data'), { recursive: true });
      fs.writeFileSync(s.disk('/persist', '/srv/data/kept.txt'), 'kept\n');
      return s;
    };
    const [, dry] = setup().boot([
      early,
      { do: 'apply', args: ['--keep-going', '--dry-run', '--json'] },
    ]);
    const steps = applied(dry)
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; action?: { kind: string; entry?: string } })
      .filter((e) => e.event === 'action')
      .map((e) => e.action!);
    assert.ok(steps.length > 10, `${steps.length} steps`);
    assert.ok(!steps.some((a) => a.kind === 'utab'));
    const targets = (ids: string[]) => ids.map((id) => id.slice(id.indexOf(':') + 1));
    for (let k = 0; k < steps.length; k++) {
      const failing = steps[k]!.entry!;
      const [, r, state, mounts] = setup().boot([
        early,
        {
          do: 'apply',
          args: ['--keep-going', '--json'],
          env: { KEEPSAKE_FAIL_AT_ACTION: String(k) },
        },
        { do: 'inspect', paths: ['/var/lib/app/early.txt', '/srv/data/kept.txt', '/etc/app.conf'] },
        { do: 'mounts' },
      ]);
      const a = applied(r);
      const at = `failing step ${k} (${steps[k]!.kind} of ${failing})`;
      assert.equal(a.status, 1, `${at}\n${a.stdout}${a.stderr}`);
      const sum = summary(a.stdout);
      const skipped = (sum.skipped ?? []).map((x) => x.entry);
      assert.ok(skipped.includes(failing), `${at}: not named as skipped: ${skipped}`);
      for (const id of SKIPPED) assert.ok(skipped.includes(id), `${at}: ${id} not skipped`);
      const points = mountPoints(mounts);
      // Whatever is not named as skipped is in place; nothing named as skipped is mounted.
      for (const t of IN_PLACE) {
        const named = targets(skipped).includes(t);
        assert.equal(points.includes(t), !named, `${at}: ${t} mounted: ${points.includes(t)}`);
      }
      for (const t of targets(skipped)) assert.ok(!points.includes(t), `${at}: ${t} mounted`);
      const p = inspected(state);
      assert.equal(p['/var/lib/app/early.txt']!.content, 'written early\n', at);
      if (!skipped.includes('directory:/srv/data'))
        assert.equal(p['/srv/data/kept.txt']!.content, 'kept\n', at);
      const linked = p['/etc/app.conf']!.type === 'symlink';
      assert.equal(linked, !skipped.includes('file:/etc/app.conf'), at);
    }
  });

  it('killed after any step, the next apply --keep-going puts the rest in place; nothing is lost', () => {
    const setup = (): TestSystem => {
      const s = system({ config: CONFIG, stores: ['/persist', '/scratch'], users: [JANE] });
      fs.mkdirSync(s.disk('/persist', '/srv/data'), { recursive: true });
      fs.writeFileSync(s.disk('/persist', '/srv/data/kept.txt'), 'kept\n');
      return s;
    };
    const [, dry] = setup().boot([
      early,
      { do: 'apply', args: ['--keep-going', '--dry-run', '--json'] },
    ]);
    const count = applied(dry)
      .stdout.trim()
      .split('\n')
      .filter((l) => (JSON.parse(l) as { event: string }).event === 'action').length;
    for (let k = 0; k < count; k++) {
      const [, killed, again, state, mounts] = setup().boot([
        early,
        { do: 'apply', args: ['--keep-going'], env: { KEEPSAKE_KILL_AFTER_ACTION: String(k) } },
        { do: 'apply', args: ['--keep-going', '--json'] },
        { do: 'inspect', paths: ['/var/lib/app/early.txt', '/srv/data/kept.txt', '/etc/app.conf'] },
        { do: 'mounts' },
      ]);
      const at = `killed after step ${k}`;
      assert.notEqual(applied(killed).status, 0, at);
      const a = applied(again);
      assert.equal(a.status, 1, `${at}\n${a.stdout}${a.stderr}`);
      assert.deepEqual(
        summary(a.stdout)
          .skipped?.map((x) => x.entry)
          .sort(),
        SKIPPED,
        at,
      );
      const points = mountPoints(mounts);
      for (const t of IN_PLACE) assert.ok(points.includes(t), `${at}: ${t} is not mounted`);
      for (const t of ['/var/lib/app', '/var/lib/app/cache'])
        assert.ok(!points.includes(t), `${at}: ${t} is mounted`);
      const p = inspected(state);
      assert.equal(p['/var/lib/app/early.txt']!.content, 'written early\n', at);
      assert.equal(p['/srv/data/kept.txt']!.content, 'kept\n', at);
      assert.equal(p['/etc/app.conf']!.link, '/persist/etc/app.conf', at);
    }
  });
});
