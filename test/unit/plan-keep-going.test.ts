// The planner with keepGoing: entries with problems of their own and every entry inside them
// are left out (no action, named with the reason), the others are planned as usual, with the
// parents the skipped entry would have made; problems that concern every entry still stop it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPlan } from '../../src/plan/build.js';
import type { Action } from '../../src/plan/types.js';
import { dir, entry, file, model, mount, observed } from '../helpers/builders.js';

const paths = (actions: Action[]) =>
  actions.map((a) => ('path' in a ? a.path : 'target' in a ? a.target : ''));

describe('planning with keepGoing', () => {
  const m = model([
    entry('directory', '/var/lib/a'),
    entry('directory', '/var/lib/a/inner'),
    entry('directory', '/var/lib/a/other', { storeRoot: '/scratch', store: '/scratch/x' }),
    entry('file', '/var/lib/a/f.conf', { storeRoot: '/scratch', store: '/scratch/f.conf' }),
    entry('directory', '/var/lib/b'),
  ]);
  const o = observed(m, {
    '/persist': dir(),
    '/scratch': dir(),
    '/var': dir({ empty: false }),
    '/var/lib': dir({ empty: false }),
    '/var/lib/a': dir({ empty: false }),
  });

  it('skips the entry with data in the way and everything inside it; plans the rest', () => {
    const plan = buildPlan(m, o, undefined, { keepGoing: true });
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(
      plan.skipped?.map((s) => [s.entry, s.inside ?? s.problems[0]?.code]),
      [
        ['directory:/var/lib/a', 'target-has-data'],
        ['file:/var/lib/a/f.conf', '/var/lib/a'],
        ['directory:/var/lib/a/inner', '/var/lib/a'],
        ['directory:/var/lib/a/other', '/var/lib/a'],
      ],
    );
    // Nothing for the skipped entries, on either side; /var/lib/b with its own parents.
    assert.ok(
      paths(plan.actions).every((p) => !p.includes('/var/lib/a') && !p.startsWith('/scratch')),
    );
    assert.deepEqual(paths(plan.actions), [
      '/persist/var',
      '/persist/var/lib',
      '/persist/var/lib/b',
      '/var/lib/b',
      '/var/lib/b',
    ]);
    assert.deepEqual(plan.entries.filter((e) => e.state === 'refused').map((e) => e.id).length, 4);
  });

  it('without keepGoing the same problem refuses the plan, and nothing is skipped', () => {
    const plan = buildPlan(m, o);
    assert.equal(plan.skipped, undefined);
    assert.deepEqual(
      plan.problems.map((p) => p.code),
      ['target-has-data'],
    );
  });

  it('a store on the tmpfs root is not an entry problem: it still stops the plan', () => {
    const mounts = [{ ...mount('/', '0:20', '/', { fsType: 'tmpfs' }), id: 1, parentId: 0 }];
    const plan = buildPlan(
      m,
      observed(m, { '/persist': dir(), '/scratch': dir() }, { mounts }),
      undefined,
      {
        keepGoing: true,
      },
    );
    assert.deepEqual(
      plan.problems.map((p) => p.code),
      ['store-not-persistent', 'store-not-persistent'],
    );
  });

  it('a skipped file entry leaves the directory entries around it alone', () => {
    const n = model([entry('file', '/etc/app.conf'), entry('directory', '/etc/app.d')]);
    const plan = buildPlan(
      n,
      observed(n, { '/persist': dir(), '/etc': dir({ empty: false }), '/etc/app.conf': file(5) }),
      undefined,
      { keepGoing: true },
    );
    assert.deepEqual(
      plan.skipped?.map((s) => s.entry),
      ['file:/etc/app.conf'],
    );
    assert.ok(paths(plan.actions).includes('/etc/app.d'));
  });
});
