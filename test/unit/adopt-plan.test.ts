// Planning moves: the finish after the bind, a foreign mount inside the tree refused, and a
// move an earlier run journaled carried on instead of set aside as "data in the store".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPlan } from '../../src/plan/build.js';
import type { Action, PendingMove } from '../../src/plan/types.js';
import { baseMounts, dir, entry, model, mount, observed } from '../helpers/builders.js';

const kinds = (actions: Action[]) =>
  actions.map((a) => `${a.kind} ${'from' in a ? a.from : 'target' in a ? a.target : a.path}`);

const pending = (over: Partial<PendingMove> = {}): PendingMove => ({
  target: '/srv/app',
  to: '/persist/srv/app',
  backup: '/persist/.keepsake/backup/T0/srv/app',
  type: 'directory',
  how: 'into-store',
  phase: 'copied',
  ...over,
});

describe('planning a move', () => {
  const m = model([entry('directory', '/srv/app', { adopt: true })]);
  const full = {
    '/persist': dir(),
    '/srv': dir(),
    '/srv/app': dir({ empty: false }),
  };

  it('settles the source after the bind, so that writes during the move land in the store', () => {
    const plan = buildPlan(m, observed(m, full), undefined, { backupTag: 'T' });
    assert.deepEqual(plan.problems, []);
    const k = kinds(plan.actions);
    assert.deepEqual(k.slice(-3), ['adopt /srv/app', 'bind /srv/app', 'adopt-finish /srv/app']);
    const finish = plan.actions.at(-1)!;
    assert.ok(finish.kind === 'adopt-finish');
    assert.equal(finish.backup, '/persist/.keepsake/backup/T/srv/app');
    assert.equal(finish.storeRoot, '/persist');
  });

  it('refuses a tree with another file system mounted inside it, naming the mount', () => {
    const mounts = [...baseMounts(), mount('/srv/app/cache', '0:55', '/', { fsType: 'tmpfs' })];
    const plan = buildPlan(m, observed(m, full, { mounts }));
    assert.deepEqual(
      plan.problems.map((p) => p.code),
      ['foreign-mount'],
    );
    assert.match(plan.problems[0]!.message, /\/srv\/app\/cache \(tmpfs/);
    assert.deepEqual(plan.actions, []);
  });

  it('carries on a journaled move although the store now holds its copy', () => {
    const withCopy = { ...full, '/persist/srv': dir(), '/persist/srv/app': dir({ empty: false }) };
    const fresh = buildPlan(m, observed(m, withCopy), undefined, { backupTag: 'T1' });
    assert.equal(fresh.adopted[0]!.how, 'backup', 'without the journal: set aside');
    const resumed = buildPlan(m, observed(m, withCopy), undefined, {
      backupTag: 'T1',
      pendingMoves: [pending()],
    });
    assert.deepEqual(
      resumed.adopted.map((a) => [a.how, a.to]),
      [['into-store', '/persist/srv/app']],
    );
    const adopt = resumed.actions.find((a) => a.kind === 'adopt');
    assert.ok(adopt?.kind === 'adopt' && adopt.resume === true);
    assert.equal(adopt.backup, '/persist/.keepsake/backup/T0/srv/app', 'the first run’s names');
  });

  it('finishes a journaled move whose bind is already in place', () => {
    const mounts = [...baseMounts(), mount('/srv/app', '8:2', '/srv/app')];
    const bound = { ...full, '/persist/srv': dir(), '/persist/srv/app': dir({ empty: false }) };
    const plan = buildPlan(m, observed(m, bound, { mounts }), undefined, {
      pendingMoves: [pending()],
    });
    assert.deepEqual(kinds(plan.actions), ['adopt-finish /srv/app']);
    assert.equal(plan.entries[0]!.state, 'pending');
    const none = buildPlan(m, observed(m, bound, { mounts }));
    assert.deepEqual(none.actions, []);
  });
});
