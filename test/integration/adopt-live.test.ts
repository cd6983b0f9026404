// Adopting a directory that a program keeps writing to, across file systems (a tmpfs root,
// the store on another file system): nothing the program finished writing, before, during
// or after the move, is lost, and nothing stays hidden under the bind.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  applied,
  requireNamespaces,
  type Step,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';
import { countLosses, type Losses, liveWriter } from '../helpers/live-writer.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const TRIALS = 3;
const FILES = 3000;

const ran = applied;

/** 3,000 small files in /srv/app, in 30 subdirectories. */
const FILL: Step = {
  do: 'sh',
  cmd: `python3 -c "
import os, sys
for i in range(${FILES}):
    d = '%s/srv/app/d%02d' % (sys.argv[1], i % 30)
    os.makedirs(d, exist_ok=True)
    open('%s/f%05d' % (d, i), 'w').write('data %d\\n' % i)
" "$ROOT"`,
};

/** What lies under the bind at /srv/app (seen through a bind of /srv without its submounts). */
const UNDER: Step = {
  do: 'sh',
  cmd: 'mkdir -p "$ROOT/../under" && mount -n --bind "$ROOT/srv" "$ROOT/../under" && ls -A "$ROOT/../under/app"; umount -n "$ROOT/../under"',
};

/** Directories in the store's backups that hold kept copies of /srv/app. */
function keptCopies(s: TestSystem): string[] {
  const backup = s.disk('/persist', '/.keepsake/backup');
  if (!fs.existsSync(backup)) return [];
  return fs.readdirSync(backup).map((tag) => `${backup}/${tag}/srv/app`);
}

/** One trial: fill /srv/app, start the writer, adopt (after `declare`, when given), stop it. */
function liveTrial(
  adopting: Step,
  config: string,
  declare?: string,
): { losses: Losses; out: string } {
  const s = new TestSystem({ config, stores: ['/persist'] });
  systems.push(s);
  const writer = liveWriter(s.dir, '/srv/app');
  const steps: Step[] = [{ do: 'apply' }, FILL, writer.start];
  if (declare) steps.push({ do: 'set-config', text: declare });
  const r = s.boot([...steps, adopting, writer.stop, UNDER]);
  const [a, stop, under] = r.slice(steps.length).map((x) => x);
  assert.equal(ran(a).status, 0, ran(a).stdout + ran(a).stderr);
  assert.ok(under?.do === 'sh');
  assert.equal(under.stdout, '', 'nothing is left hidden under the bind');
  const kept = keptCopies(s).filter((d) => fs.existsSync(d));
  // what changed on both sides is kept beside the store's copy, and said
  if (kept.length > 0) assert.match(ran(a).stdout, /kept .*both are kept/);
  const losses = countLosses(stop, s.disk('/persist', '/srv/app'), kept);
  assert.deepEqual(losses.failed, [], 'the writer never saw an error');
  // the data that was there before is all in the store
  for (const i of [0, 1234, FILES - 1]) {
    const d = `d${String(i % 30).padStart(2, '0')}/f${String(i).padStart(5, '0')}`;
    assert.equal(fs.readFileSync(s.disk('/persist', `/srv/app/${d}`), 'utf8'), `data ${i}\n`);
  }
  const said = ran(a)
    .stdout.split('\n')
    .filter((l) => /^ +kept /.test(l)).length;
  process.stdout.write(`# ${kept.length} kept beside the store's copy, ${said} said\n`);
  return { losses, out: ran(a).stdout };
}

describe('adopting a directory while a program writes to it', { skip }, () => {
  const base = 'persistence:\n  /persist:\n    directories: [/var/log]\n';
  it(`keepsake add loses nothing (${TRIALS} trials)`, () => {
    for (let t = 0; t < TRIALS; t++) {
      const { losses, out } = liveTrial({ do: 'apply', command: 'add', args: ['/srv/app'] }, base);
      process.stdout.write(`# add trial ${t}: ${JSON.stringify(losses)}\n`);
      assert.equal(losses.lostFiles + losses.lostLines, 0, `trial ${t}: ${out}`);
      assert.ok(losses.written > 20, 'the writer wrote during the move');
    }
  });

  it('a log kept open: the move stops and says why, loses nothing, and finishes later', () => {
    const s = new TestSystem({ config: base, stores: ['/persist'] });
    systems.push(s);
    const writer = liveWriter(s.dir, '/srv/app', true);
    const r = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/srv/app/data', content: 'data' },
      writer.start,
      { do: 'apply', command: 'add', args: ['/srv/app'] },
      { do: 'inspect', paths: ['/srv/app/data'] },
      writer.stop,
      { do: 'apply', command: 'add', args: ['/srv/app'] },
      { do: 'apply', args: ['--json'] },
      UNDER,
    ]);
    const [first, seen, stop, again, noop, under] = r.slice(3);
    assert.equal(ran(first).status, 1, ran(first).stdout + ran(first).stderr);
    assert.match(ran(first).stdout, /app\.log is open for writing by process \d+ \(python3\)/);
    assert.doesNotMatch(ran(first).stdout, /undo-failed|undone/);
    // the bind stayed: programs see the data in the store while the move waits
    assert.ok(seen?.do === 'inspect');
    assert.equal(seen.paths['/srv/app/data']!.content, 'data');
    assert.equal(ran(again).status, 0, ran(again).stdout + ran(again).stderr);
    assert.equal(JSON.parse(ran(noop).stdout.trim().split('\n').at(-1)!).actions, 0);
    assert.ok(under?.do === 'sh');
    assert.equal(under.stdout, '', 'nothing is left hidden under the bind');
    const kept = keptCopies(s).filter((d) => fs.existsSync(d));
    const losses = countLosses(stop, s.disk('/persist', '/srv/app'), kept, true);
    process.stdout.write(`# held log: ${JSON.stringify(losses)}\n`);
    assert.equal(losses.lostLines, 0);
    assert.equal(fs.readFileSync(s.disk('/persist', '/srv/app/data'), 'utf8'), 'data');
  });

  it(`apply --adopt loses nothing (${TRIALS} trials)`, () => {
    const declared = 'persistence:\n  /persist:\n    directories: [/var/log, /srv/app]\n';
    for (let t = 0; t < TRIALS; t++) {
      const { losses, out } = liveTrial({ do: 'apply', args: ['--adopt'] }, base, declared);
      process.stdout.write(`# adopt trial ${t}: ${JSON.stringify(losses)}\n`);
      assert.equal(losses.lostFiles + losses.lostLines, 0, `trial ${t}: ${out}`);
      assert.ok(losses.written > 20, 'the writer wrote during the move');
    }
  });
});
