// Undoing an adoption whose copy was made (a later step failed) removes the store's copy, or
// renames the data back; a kill after every change the undo makes must leave the data whole,
// and the next run must not take a half-removed copy for a verified one. What a program wrote
// at the source while the data was in the store (a rename move) is moved into the data before
// it is renamed back: a kill after each entry moved loses none of it either.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { singleQuoted } from '../../src/core/display.js';
import {
  applied,
  CLI,
  requireNamespaces,
  type Step,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

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

const WAIT_STOPPED = `for i in $(seq 200); do [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" = T ] && break; sleep 0.05; done`;

/** Every file under `dir` (a host path): relative path → content. */
function files(dir: string, rel = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir + rel)) return out;
  for (const name of fs.readdirSync(dir + rel)) {
    const p = `${rel}/${name}`;
    const st = fs.lstatSync(dir + p);
    if (st.isDirectory()) for (const [k, v] of files(dir, p)) out.set(k, v);
    else if (st.isSymbolicLink()) out.set(p, `link ${fs.readlinkSync(dir + p)}`);
    else out.set(p, fs.readFileSync(dir + p, 'utf8'));
  }
  return out;
}

describe('undoing an adoption with what was written meanwhile, killed after every change', {
  skip,
}, () => {
  it('every version of every file is whole, in the source or in the backup, and the next add finishes the move', () => {
    // Written into the directory made at the source while the data was in the store: a new
    // file, a file in a directory the data has too, and a name the data has (kept apart).
    // And a link planted where the data has a directory: moved aside as a link, never followed.
    const MEANWHILE =
      'echo n1 > n1 && mkdir sub && echo n2 > sub/n2 && echo new-log > log && ln -s /etc conf';
    const ORIGINAL: Record<string, string> = {
      '/a': 'a\n',
      '/sub/b': 'b\n',
      '/log': 'old-log\n',
      '/conf/c': 'c\n',
    };
    let killedAt = 0;
    for (let k = 1; k < 20; k++) {
      const s = new TestSystem({ config: BASE, stores: [], rootOnDisk: true });
      systems.push(s);
      fs.mkdirSync(`${s.dir}/rootdisk/persist`, { recursive: true });
      const ks = `NO_COLOR=1 KEEPSAKE_FAIL_AT_ACTION=${bindAction(false)} KEEPSAKE_TEST_STOP_AT=move-undo-begin:1 KEEPSAKE_TEST_KILL_AT=move-undo:${k} ${[process.execPath, CLI].map(singleQuoted).join(' ')} add /srv/app --root "$ROOT" --config ${singleQuoted(s.configFile)}`;
      const r = s.boot([
        { do: 'apply' },
        ...Object.entries(ORIGINAL).map(
          ([p, content]) => ({ do: 'write', path: `/srv/app${p}`, content }) as Step,
        ),
        {
          do: 'sh',
          cmd: `${ks} > "$ROOT/../add.out" 2>&1 & p=$!; ${WAIT_STOPPED}; (cd "$ROOT/srv/app" && ${MEANWHILE}); kill -CONT $p; wait $p; echo "status $?"; cat "$ROOT/../add.out"`,
        },
        { do: 'apply', command: 'add', args: ['/srv/app'] },
      ]);
      const [undo, rerun] = r.slice(1 + Object.keys(ORIGINAL).length);
      assert.ok(undo?.do === 'sh');
      const why = `kill ${k}: ${undo.stdout}\nrerun: ${ran(rerun).stdout}${ran(rerun).stderr}`;
      assert.equal(ran(rerun).status, 0, why);
      // Finished: the data is in the store, bound at the source.
      const store = files(`${s.dir}/rootdisk/persist/srv/app`);
      const backups = files(`${s.dir}/rootdisk/persist/.keepsake/backup`);
      const all = [...store.values(), ...backups.values()];
      for (const want of ['a\n', 'b\n', 'old-log\n', 'n1\n', 'n2\n', 'new-log\n'])
        assert.ok(all.includes(want), `${why}\n${JSON.stringify([...store, ...backups])}: ${want}`);
      assert.equal(store.get('/a'), 'a\n', why);
      assert.equal(store.get('/sub/b'), 'b\n', why);
      assert.equal(store.get('/n1'), 'n1\n', why);
      assert.equal(store.get('/sub/n2'), 'n2\n', why);
      assert.equal(store.get('/conf/c'), 'c\n', why);
      const links = fs
        .readdirSync(`${s.dir}/rootdisk/persist/.keepsake/backup`, { recursive: true })
        .map(String)
        .filter((p) => p.endsWith('/conf'));
      assert.equal(links.length, 1, `${why}: the planted link is kept once`);
      const link = `${s.dir}/rootdisk/persist/.keepsake/backup/${links[0]}`;
      assert.equal(fs.readlinkSync(link), '/etc', why);
      const moves = `${s.dir}/rootdisk/persist/.keepsake/moves`;
      assert.deepEqual(fs.existsSync(moves) ? fs.readdirSync(moves) : [], [], why);
      if (!undo.stdout.startsWith('status 137')) {
        assert.match(undo.stdout, /^status 1\b/, why);
        assert.match(undo.stdout, /undone adopt/, why);
        break;
      }
      killedAt = k;
    }
    process.stdout.write(`# killed at each of ${killedAt} changes\n`);
    // Each of the four entries moved, then the rmdir of the empty directory and the rename.
    assert.equal(killedAt, 6);
  });
});
