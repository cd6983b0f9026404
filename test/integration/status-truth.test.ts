// `status` is a drift check: whatever makes `plan` (and so `apply`) refuse, status reports too,
// with exit 1. Each root here is prepared in its own boot, then asked both questions.

import assert from 'node:assert/strict';
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

const LOG = 'persistence:\n  /persist:\n    directories: [/var/log]\n';

function ran(r: StepResult | undefined) {
  assert.ok(r && r.do === 'apply', `not a command step: ${JSON.stringify(r)}`);
  return r;
}

interface Asked {
  plan: { status: number; problems: Array<{ code: string; path: string }> };
  status: { status: number; problems: Array<{ code: string; path: string }>; text: string };
  check: { status: number; text: string };
}

/** Prepare a root with `steps` (the store on its own disk unless `stores` says otherwise). */
function ask(steps: Step[], stores = ['/persist']): Asked {
  const s = new TestSystem({ config: LOG, stores });
  systems.push(s);
  const results = s.boot([
    ...steps,
    { do: 'apply', command: 'plan', args: ['--json'] },
    { do: 'apply', command: 'status', args: ['--json'] },
    { do: 'apply', command: 'status' },
    { do: 'apply', command: 'check' },
  ]);
  const [plan, status, text, check] = results.slice(-4).map(ran);
  const json = (r: ReturnType<typeof ran>) => JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  return {
    plan: { status: plan!.status, problems: json(plan!).problems },
    status: {
      status: status!.status,
      problems: json(status!).problems,
      text: text!.stdout + text!.stderr,
    },
    check: { status: check!.status, text: check!.stdout + check!.stderr },
  };
}

const ROOTS: Array<{ name: string; steps: Step[]; stores?: string[]; problem?: string }> = [
  {
    name: 'the store a plain directory on the tmpfs root',
    steps: [{ do: 'mkdir', path: '/persist' }],
    stores: [],
    problem: 'store-not-persistent',
  },
  {
    name: 'data of its own at the target',
    steps: [{ do: 'write', path: '/var/log/syslog', content: 'boot log\n' }],
    problem: 'target-has-data',
  },
  {
    name: 'a symlink in the target path',
    steps: [
      { do: 'mkdir', path: '/elsewhere' },
      { do: 'symlink', path: '/var', to: '/elsewhere' },
    ],
    problem: 'symlink-in-path',
  },
  {
    name: 'a foreign mount at the target',
    steps: [{ do: 'sh', cmd: 'mkdir -p $ROOT/var/log && mount -n -t tmpfs other $ROOT/var/log' }],
    problem: 'foreign-mount',
  },
  { name: 'applied', steps: [{ do: 'apply' }] },
  { name: 'nothing applied yet', steps: [] },
];

describe('status and plan agree', { skip }, () => {
  for (const root of ROOTS) {
    it(`on a root with ${root.name}`, () => {
      const a = ask(root.steps, root.stores);
      // The same problems, and status never says "in place" where plan refuses.
      assert.deepEqual(a.status.problems, a.plan.problems);
      if (a.plan.status !== 0) assert.equal(a.status.status, 1, a.status.text);
      if (root.problem) {
        assert.equal(a.plan.status, 1);
        assert.deepEqual(
          a.plan.problems.map((p) => p.code),
          [root.problem],
        );
        assert.equal(a.status.status, 1, a.status.text);
        assert.doesNotMatch(a.status.text, /all 1 entry in place/);
        assert.match(a.status.text, /refused .*\/var\/log/);
        assert.match(a.status.text, /1 problem apply would refuse on/);
      } else {
        assert.deepEqual(a.plan.problems, []);
        assert.equal(a.plan.status, 0);
      }
      if (root.name === 'applied') assert.equal(a.status.status, 0, a.status.text);
      if (root.name === 'nothing applied yet') assert.equal(a.status.status, 1, a.status.text);
    });
  }

  it('the store on the tmpfs root: status names the problem and its fix', () => {
    const a = ask([{ do: 'mkdir', path: '/persist' }], []);
    assert.equal(a.status.status, 1);
    assert.match(a.status.text, /\/persist is on the same tmpfs as the root/);
    assert.match(a.status.text, /fix: mount the persistent file system at \/persist/);
  });

  it('check validates the file; check --root also runs the checks of plan', () => {
    const s = new TestSystem({ config: LOG, stores: [] });
    systems.push(s);
    const [, file, rooted, json] = s
      .boot([
        { do: 'mkdir', path: '/persist' },
        { do: 'sh', cmd: 'true' },
        { do: 'apply', command: 'check' },
        { do: 'apply', command: 'check', args: ['--json'] },
      ])
      .map((r) => r);
    void file;
    // The boot step passes --root: with it, check refuses as plan does.
    assert.equal(ran(rooted).status, 1, ran(rooted).stdout);
    assert.match(ran(rooted).stdout + ran(rooted).stderr, /same tmpfs as the root/);
    const v = JSON.parse(ran(json).stdout.trim());
    assert.equal(v.ok, false);
    assert.deepEqual(
      v.problems.map((p: { code: string }) => p.code),
      ['store-not-persistent'],
    );
  });
});
