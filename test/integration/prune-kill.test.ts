// `keepsake prune --yes` killed (SIGKILL) after every single deletion, on a temporary root in
// a private mount namespace: each time, nothing referenced changes, each orphan is whole, gone,
// or listed as itself with what is left, and the next prune finishes.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { singleQuoted } from '../../src/core/display.js';
import { CLI, requireNamespaces } from '../helpers/boot.js';
import {
  cleanups,
  ks,
  ORPHANS,
  orphansOf,
  type Store,
  snapshot,
  split,
  stepsOfPrune,
  store,
  under,
} from '../helpers/prune-store.js';

const skip = requireNamespaces();
after(() => {
  for (const c of cleanups) c();
});

describe('prune killed after every deletion', { skip }, () => {
  it('keeps everything referenced, leaves each orphan whole, gone or listed as itself, and a second prune finishes', () => {
    const steps = stepsOfPrune();
    // 12 + 1 (many), 4 names + 6 directories (nest), lone, link, var/stray
    assert.equal(steps, 26);
    // The hook counts exactly these: one step more is never reached.
    const whole = store();
    const beyond = ks(whole, ['prune', '--yes'], { KEEPSAKE_TEST_KILL_AT: `prune:${steps + 1}` });
    assert.equal(beyond.status, 0, beyond.stderr);

    for (let k = 1; k <= steps; k++) {
      const s = store();
      const before = snapshot(s.store);
      const { inside: orphanBefore, outside: kept } = split(before, ORPHANS);
      const killed = ks(s, ['prune', '--yes'], { KEEPSAKE_TEST_KILL_AT: `prune:${k}` });
      assert.equal(killed.signal, 'SIGKILL', `step ${k}: ${killed.stderr}`);

      // (a) nothing declared, protected or referred to changed.
      const mid = snapshot(s.store);
      const { inside: orphanMid, outside: keptMid } = split(mid, ORPHANS);
      assert.deepEqual(keptMid, kept, `step ${k}: referenced data changed`);
      assert.equal(fs.readFileSync(`${s.outside}/precious`, 'utf8'), 'do not touch\n');
      // Exactly k entries went, and what is left is as it was.
      assert.equal(Object.keys(orphanBefore).length - Object.keys(orphanMid).length, k);
      for (const [p, v] of Object.entries(orphanMid)) assert.equal(v, orphanBefore[p], p);

      // (b) every orphan with anything left is listed under its own name, with what is left.
      const listed = orphansOf(s);
      const present = ORPHANS.filter((o) => fs.existsSync(`${s.store}${o}`) || isLink(s, o));
      assert.deepEqual(
        listed.map((o) => o.path.replace(/^\/persist/, '')).sort(),
        [...present].sort(),
        `step ${k}`,
      );
      for (const o of listed) {
        const rel = o.path.replace(/^\/persist/, '');
        const left = Object.entries(orphanMid).filter(([p]) => under(p, rel));
        const dirs = left.filter(([, v]) => v === 'dir').length;
        assert.deepEqual([o.files, o.directories], [left.length - dirs, dirs], `${o.path}`);
        assert.equal(o.prunable, true, o.reason);
      }

      // (c) the next prune finishes the job.
      const again = ks(s, ['prune', '--yes']);
      assert.equal(again.status, 0, `step ${k}: ${again.stderr}`);
      assert.deepEqual(snapshot(s.store), kept, `step ${k}`);
      assert.deepEqual(orphansOf(s), []);

      // (d) apply and status still work on this store.
      const cycle = spawnSync(
        'unshare',
        [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          ['apply', 'status']
            .map((c) =>
              [process.execPath, CLI, c, '--root', s.root, '--config', s.config]
                .map(singleQuoted)
                .join(' '),
            )
            .join(' && '),
        ],
        { encoding: 'utf8' },
      );
      assert.equal(cycle.status, 0, `step ${k}: ${cycle.stdout}${cycle.stderr}`);
      assert.match(cycle.stdout, /all 3 entries in place/);
    }
  });
});

function isLink(s: Store, rel: string): boolean {
  return fs.lstatSync(`${s.store}${rel}`, { throwIfNoEntry: false })?.isSymbolicLink() === true;
}
