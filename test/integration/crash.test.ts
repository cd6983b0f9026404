// Killed at any step (SIGKILL, as a power cut would), an apply leaves a state from which the
// next run converges to the same result as an uninterrupted one, and no byte of user data is
// lost: after every single step of a first boot with adoption, and of a config transition.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  requireNamespaces,
  type Step,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const FIRST = `persistence:
  /persist:
    hideMounts: true
    directories: [/var/log, /srv/www, /srv/db, { directory: /var/lib/app, mode: "0700" }]
    files: [/etc/machine-id, /etc/hostid, /etc/token]
`;
const SECOND = `persistence:
  /persist:
    hideMounts: true
    directories: [/var/log, { directory: /srv/db, method: symlink }]
    files: [/etc/machine-id]
  /state:
    directories: [/srv/www, /var/lib/app]
`;
/** Data programs wrote before keepsake ran: adopted into the store or set aside. */
const IN_THE_WAY: Step[] = [
  { do: 'write', path: '/srv/www/index.html', content: 'hello' },
  { do: 'write', path: '/srv/db/rows', content: 'ephemeral rows' },
  { do: 'write', path: '/etc/hostid', content: 'abcd' },
  { do: 'write', path: '/etc/token', content: 'ephemeral token' },
];
const LOOK = ['/srv/www/index.html', '/srv/db/rows', '/etc/hostid', '/etc/token', '/var/lib/app'];

type Applied = Extract<StepResult, { do: 'apply' }>;
const applied = (r: StepResult | undefined): Applied => {
  assert.ok(r?.do === 'apply');
  return r;
};
const actionsOf = (r: Applied) => JSON.parse(r.stdout.trim().split('\n').at(-1)!).actions as number;

function system() {
  const s = new TestSystem({ config: FIRST, stores: ['/persist', '/state'] });
  systems.push(s);
  fs.mkdirSync(s.disk('/persist', '/srv/db'), { recursive: true });
  fs.writeFileSync(s.disk('/persist', '/srv/db/rows'), 'store rows');
  fs.mkdirSync(s.disk('/persist', '/etc'), { recursive: true });
  fs.writeFileSync(s.disk('/persist', '/etc/token'), 'store token');
  return s;
}

/** Every file on the disks, by content hash: user data must all still be somewhere. */
function hashes(s: TestSystem): Set<string> {
  const out = new Set<string>();
  for (const disk of Object.values(s.disks)) {
    for (const f of fs.readdirSync(disk, { recursive: true }) as string[]) {
      const p = `${disk}/${f}`;
      if (fs.lstatSync(p).isFile() && !p.includes('/.keepsake/generations/')) {
        out.add(createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
      }
    }
  }
  return out;
}
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** The end state a run reaches: what is mounted, and what programs see. */
function endState(r: StepResult[]) {
  const mounts = r.find((x) => x.do === 'mounts');
  const seen = r.find((x) => x.do === 'inspect');
  assert.ok(mounts?.do === 'mounts' && seen?.do === 'inspect');
  return {
    mounts: [...mounts.points].sort(),
    utab: mounts.utab
      .split('\n')
      .map((l) => l.replace(/ ROOT=\S+/, ''))
      .sort(),
    seen: Object.fromEntries(Object.entries(seen.paths).map(([p, i]) => [p, i.content ?? i.type])),
  };
}

describe('killed after any step', { skip }, () => {
  it('a first boot with adoption converges after a kill at every step', () => {
    const plain = system();
    const reference = plain.boot([
      ...IN_THE_WAY,
      { do: 'apply', args: ['--adopt', '--json'] },
      { do: 'mounts' },
      { do: 'inspect', paths: LOOK },
    ]);
    const steps = actionsOf(applied(reference[IN_THE_WAY.length]));
    assert.ok(steps > 15, `a realistic apply (${steps} steps)`);
    const want = endState(reference);
    for (let k = 0; k < steps; k++) {
      const s = system();
      const r = s.boot([
        ...IN_THE_WAY,
        { do: 'apply', args: ['--adopt'], env: { KEEPSAKE_KILL_AFTER_ACTION: String(k) } },
        { do: 'apply', args: ['--adopt'] },
        { do: 'apply', args: ['--json'] },
        { do: 'mounts' },
        { do: 'inspect', paths: LOOK },
      ]);
      const [killed, rerun, noop] = r.slice(IN_THE_WAY.length) as StepResult[];
      assert.equal(applied(killed).status, -1, `step ${k}: the first apply was killed`);
      assert.equal(applied(rerun).status, 0, `step ${k}: ${applied(rerun).stderr}`);
      assert.equal(actionsOf(applied(noop)), 0, `step ${k}: converged`);
      assert.deepEqual(endState(r), want, `step ${k}: same end state as an uninterrupted run`);
      const kept = hashes(s);
      for (const t of [
        'hello',
        'ephemeral rows',
        'abcd',
        'ephemeral token',
        'store rows',
        'store token',
      ]) {
        assert.ok(kept.has(sha(t)), `step ${k}: "${t}" is still in a store`);
      }
    }
  });

  it('a config transition converges after a kill at every step', () => {
    const plain = system();
    const change: Step[] = [
      ...IN_THE_WAY,
      { do: 'apply', args: ['--adopt'] },
      { do: 'set-config', text: SECOND },
    ];
    const reference = plain.boot([
      ...change,
      { do: 'apply', args: ['--json'] },
      { do: 'mounts' },
      { do: 'inspect', paths: LOOK },
    ]);
    const steps = actionsOf(applied(reference[change.length]));
    assert.ok(steps > 8, `a realistic transition (${steps} steps)`);
    const want = endState(reference);
    for (let k = 0; k < steps; k++) {
      const s = system();
      const r = s.boot([
        ...change,
        { do: 'apply', env: { KEEPSAKE_KILL_AFTER_ACTION: String(k) } },
        { do: 'apply' },
        { do: 'apply', args: ['--json'] },
        { do: 'mounts' },
        { do: 'inspect', paths: LOOK },
      ]);
      const [killed, rerun, noop] = r.slice(change.length) as StepResult[];
      assert.equal(applied(killed).status, -1, `step ${k}: killed`);
      assert.equal(applied(rerun).status, 0, `step ${k}: ${applied(rerun).stderr}`);
      assert.equal(actionsOf(applied(noop)), 0, `step ${k}: converged`);
      assert.deepEqual(endState(r), want, `step ${k}: same end state`);
    }
  });

  it('an add converges after a kill at every step, and the data is never lost', () => {
    const config = 'persistence:\n  /persist:\n    directories: [/var/log]\n';
    const setup: Step[] = [
      { do: 'apply' },
      { do: 'write', path: '/var/lib/app/a', content: 'first' },
      { do: 'write', path: '/var/lib/app/sub/b', content: 'second' },
    ];
    const look: Step = { do: 'inspect', paths: ['/var/lib/app/a', '/var/lib/app/sub/b'] };
    const plainSystem = new TestSystem({ config, stores: ['/persist'] });
    systems.push(plainSystem);
    const reference = plainSystem.boot([
      ...setup,
      { do: 'apply', command: 'add', args: ['/var/lib/app', '--json'] },
      { do: 'mounts' },
      look,
    ]);
    const events = applied(reference[setup.length]).stdout.trim().split('\n');
    const steps = events.filter((l) => l.includes('"event":"action"')).length;
    assert.ok(steps >= 3, `a realistic add (${steps} steps)`);
    const want = endState(reference);
    for (let k = 0; k < steps; k++) {
      const s = new TestSystem({ config, stores: ['/persist'] });
      systems.push(s);
      const r = s.boot([
        ...setup,
        {
          do: 'apply',
          command: 'add',
          args: ['/var/lib/app'],
          env: { KEEPSAKE_KILL_AFTER_ACTION: String(k) },
        },
        { do: 'apply', command: 'add', args: ['/var/lib/app'] },
        { do: 'apply', args: ['--json'] },
        { do: 'mounts' },
        look,
      ]);
      const [killed, rerun, noop] = r.slice(setup.length) as StepResult[];
      assert.equal(applied(killed).status, -1, `step ${k}: killed`);
      assert.equal(
        applied(rerun).status,
        0,
        `step ${k}: ${applied(rerun).stdout}${applied(rerun).stderr}`,
      );
      assert.equal(actionsOf(applied(noop)), 0, `step ${k}: converged`);
      assert.deepEqual(endState(r), want, `step ${k}: same end state`);
      const kept = hashes(s);
      for (const t of ['first', 'second'])
        assert.ok(kept.has(sha(t)), `step ${k}: "${t}" is in the store`);
    }
  });
});
