// Undoing an adoption whose copy was made (a later step failed) removes the store's copy, or
// renames the data back; a kill after every change the undo makes must leave the data whole,
// and the next run must not take a half-removed copy for a verified one.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { applied, requireNamespaces, type Step, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems: TestSystem[] = [];
after(() => {
  for (const s of systems) s.cleanup();
});

const ran = applied;

const BASE = 'persistence:\n  /persist:\n    directories: [/var/log]\n';
const FILES: Record<string, string> = {
  '/srv/app/a': 'first',
  '/srv/app/sub/b': 'second',
  '/srv/app/sub/c': 'third',
  '/srv/app/d': 'fourth',
};

/** The action of `add /srv/app` that binds the store's copy (after a mkdir of /persist/srv
 *  when the store has no such directory yet): failing it undoes the move. */
const bindAction = (existed: boolean) => (existed ? 1 : 2);

describe('undoing an adoption, killed after every change it makes', { skip }, () => {
  const cases = [
    { existed: false, sameFs: false, steps: 6 },
    { existed: true, sameFs: false, steps: 6 },
    // One file system: the move was a rename, undone by an rmdir and a rename back.
    { existed: false, sameFs: true, steps: 2 },
  ];
  for (const { existed, sameFs, steps } of cases) {
    it(`the data stays whole, and the next add finishes the move (store directory ${existed ? 'there, empty' : 'new'}${sameFs ? ', one file system' : ''})`, () => {
      let killedAt = 0;
      for (let k = 1; k < 40; k++) {
        const s = new TestSystem({
          config: BASE,
          stores: sameFs ? [] : ['/persist'],
          rootOnDisk: sameFs,
        });
        systems.push(s);
        const disk = (p: string) =>
          sameFs ? `${s.dir}/rootdisk/persist${p}` : s.disk('/persist', p);
        fs.mkdirSync(disk(existed ? '/srv/app' : ''), { recursive: true });
        const r = s.boot([
          { do: 'apply' },
          ...Object.entries(FILES).map(
            ([path, content]) => ({ do: 'write', path, content }) as Step,
          ),
          {
            do: 'apply',
            command: 'add',
            args: ['/srv/app'],
            env: {
              KEEPSAKE_FAIL_AT_ACTION: String(bindAction(existed)),
              KEEPSAKE_TEST_KILL_AT: `move-undo:${k}`,
            },
          },
          { do: 'apply', command: 'add', args: ['/srv/app'] },
          { do: 'inspect', paths: Object.keys(FILES) },
        ]);
        const [failed, rerun, seen] = r.slice(1 + Object.keys(FILES).length);
        const why = `kill ${k}: ${ran(failed).stdout}${ran(failed).stderr}`;
        if (ran(failed).status !== -1) {
          // Past the last deletion: the undo finished, and said the step failed.
          assert.equal(ran(failed).status, 1, why);
          assert.match(ran(failed).stdout + ran(failed).stderr, /undone|undo/i, why);
          break;
        }
        killedAt = k;
        assert.equal(
          ran(rerun).status,
          0,
          `${why}\nrerun: ${ran(rerun).stdout}${ran(rerun).stderr}`,
        );
        assert.ok(seen?.do === 'inspect');
        for (const [path, content] of Object.entries(FILES)) {
          assert.equal(seen.paths[path]?.content, content, `kill ${k}: ${path} seen`);
          assert.equal(fs.readFileSync(disk(path), 'utf8'), content, `kill ${k}`);
        }
        // No partial copy and no journal left behind.
        assert.equal(fs.existsSync(disk('/srv/.app.keepsake-partial')), false);
        const moves = disk('/.keepsake/moves');
        assert.deepEqual(fs.existsSync(moves) ? fs.readdirSync(moves) : [], [], `kill ${k}`);
      }
      process.stdout.write(`# killed at each of ${killedAt} changes\n`);
      // Across file systems, 4 files and 2 directories: every deletion of the copy; on one,
      // the rmdir of the placeholder and the rename back.
      assert.equal(killedAt, steps);
    });
  }
});
