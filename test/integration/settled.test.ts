// A re-apply with nothing changed since an apply that planned nothing (or since one that acted
// and then found, planning again, nothing left to do) answers from the settled record
// (src/apply/settled.ts) without planning. What it says must be exactly what the planning
// apply says, and any change to what that plan was made from must send the next apply back to
// planning, which then does what the change calls for. Each adversary below changes one thing
// between a settled apply and the next one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applied,
  CLI,
  requireNamespaces,
  type Step,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const CONFIG = `persistence:
  /persist:
    directories:
      - /var/lib/app0
      - /var/lib/app1
      - /var/lib/app2
      - { directory: /var/lib/linked, method: symlink }
    files:
      - /etc/app.conf
`;

const PHASES = { KEEPSAKE_PHASES: '1' };
/** keepsake's command line for a shell step (the config given by the step). */
const KEEPSAKE = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} apply --root "$ROOT"`;
/** An apply that reports its phases, to tell how it ended. */
const apply = (args: string[] = []): Step => ({ do: 'apply', args, env: PHASES });
const sh = (cmd: string): Step => ({ do: 'sh', cmd });
const RECORD = '"$ROOT/run/keepsake/settled.json"';

/** How an apply ended: from the settled record, or by planning. */
function howItEnded(r: StepResult | undefined): 'settled' | 'planned' {
  const a = applied(r);
  const planned = /"plan":/.test(a.stderr);
  const settled = /"settled":/.test(a.stderr);
  assert.ok(planned || settled, `no phases line: ${a.stderr}`);
  return planned ? 'planned' : 'settled';
}

/** stdout and stderr without the phases lines. */
function said(r: StepResult | undefined): { status: number; stdout: string; stderr: string } {
  const a = applied(r);
  const stderr = a.stderr
    .split('\n')
    .filter((l) => !l.startsWith('{"phases"'))
    .join('\n');
  return { status: a.status, stdout: a.stdout, stderr };
}

function shOk(r: StepResult | undefined): string {
  assert.ok(r?.do === 'sh');
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** A system set up and settled: the first apply acts, then plans again, finds nothing left
 *  to do and keeps the record of that plan; the second is answered by it. */
function settledSystem(config = CONFIG): { system: TestSystem; setup: Step[] } {
  const system = new TestSystem({ config, stores: ['/persist'] });
  systems.push(system);
  const setup: Step[] = [
    { do: 'write', path: '/persist/etc/app.conf', content: 'x=1\n' },
    apply(), // acts, and keeps the record of the plan that follows it
    apply(), // settled
  ];
  return { system, setup };
}

describe('a settled re-apply', { skip }, () => {
  it('says exactly what the planning apply says, in every output mode', () => {
    const { system, setup } = settledSystem();
    const modes = [[], ['--json'], ['--quiet'], ['--json', '--quiet'], ['--no-color']];
    const steps: Step[] = [...setup];
    for (const mode of modes) {
      steps.push(apply(mode)); // settled
      steps.push(sh(`rm ${RECORD}`));
      steps.push(apply(mode)); // planned, and the record written again
    }
    const r = system.boot(steps);
    assert.equal(said(r[1]).status, 0, said(r[1]).stderr);
    // The apply that acted kept the record: the next one is answered by it.
    assert.equal(howItEnded(r[2]), 'settled');
    assert.deepEqual(said(r[2]), said(r[5]));
    for (let i = 0; i < modes.length; i++) {
      const fast = r[3 + i * 3];
      const slow = r[5 + i * 3];
      const mode = modes[i]?.join(' ') || '(text)';
      assert.equal(howItEnded(fast), 'settled', mode);
      assert.equal(howItEnded(slow), 'planned', mode);
      assert.deepEqual(said(fast), said(slow), mode);
      assert.equal(said(fast).status, 0);
    }
    assert.match(said(r[3]).stdout, /^nothing to do: all 5 entries in place\n$/);
    assert.match(said(r[6]).stdout, /^\{"record":"apply.result",.*"actions":0,"entries":5,/);
    assert.equal(said(r[9]).stdout, '');
  });

  it('is recorded per set of options that change a plan (--keep-going, --adopt)', () => {
    const { system, setup } = settledSystem();
    const r = system.boot([
      ...setup,
      apply(['--keep-going', '--json']), // other options: plans
      apply(['--keep-going', '--json']), // settled for these options
      apply(['--json']), // plans again
      apply(['--adopt']),
      apply(['--adopt']),
    ]);
    assert.equal(howItEnded(r[3]), 'planned');
    assert.equal(howItEnded(r[4]), 'settled');
    assert.deepEqual(said(r[4]), said(r[3]));
    assert.match(said(r[4]).stdout, /"skipped":\[\]\}\n$/);
    assert.equal(howItEnded(r[5]), 'planned');
    assert.doesNotMatch(said(r[5]).stdout, /"skipped"/);
    assert.equal(howItEnded(r[6]), 'planned');
    assert.equal(howItEnded(r[7]), 'settled');
  });

  for (const [what, config, check] of [
    [
      'a configuration with a warning: every apply plans, and warns',
      CONFIG.replace('- /var/lib/app2', '- /var/lib/app2\n      - /var/lib/app2/inner'),
      (r: StepResult | undefined) => assert.match(said(r).stderr, /redundant/),
    ],
    [
      'metrics asked for: every apply plans, and writes the figures',
      `${CONFIG}metrics:\n  textfile: /var/lib/prom\n`,
      (r: StepResult | undefined) => assert.equal(said(r).stderr, ''),
    ],
  ] as const) {
    it(what, () => {
      const { system, setup } = settledSystem(config);
      const r = system.boot([
        ...setup,
        sh(`rm -f "$ROOT/var/lib/prom/keepsake.prom"; test ! -e ${RECORD}`),
        apply(),
        sh('cat "$ROOT/var/lib/prom/keepsake.prom" 2>/dev/null | head -c 1; true'),
      ]);
      assert.equal(said(r[2]).status, 0, said(r[2]).stderr);
      shOk(r[3]);
      assert.equal(howItEnded(r[4]), 'planned');
      assert.equal(said(r[4]).status, 0, said(r[4]).stderr);
      check(r[4]);
      if (config.includes('metrics')) assert.equal(shOk(r[5]), '#');
    });
  }

  it('never answers a dry run or a verbose apply, which report more', () => {
    const { system, setup } = settledSystem();
    const r = system.boot([...setup, apply(['--dry-run']), apply(['--verbose']), apply()]);
    assert.equal(howItEnded(r[3]), 'planned');
    assert.equal(howItEnded(r[4]), 'planned');
    assert.match(said(r[4]).stdout, /5 entries in \/persist/);
    assert.equal(howItEnded(r[5]), 'settled');
  });
});

describe('the record an apply that acted keeps', { skip }, () => {
  const point = '"$ROOT/var/lib/app1"';
  const mounted = (r: StepResult | undefined) => {
    assert.ok(r?.do === 'mounts');
    return r.points;
  };
  /** With app1 taken away (`before`), the next apply plans and puts it back, the one after
   *  is answered from the record, and every entry is in place (`after`). */
  const putBack = (
    before: StepResult | undefined,
    next: StepResult | undefined,
    later: StepResult | undefined,
    after: StepResult | undefined,
  ) => {
    assert.ok(!mounted(before).includes('/var/lib/app1'));
    assert.equal(howItEnded(next), 'planned');
    assert.equal(said(next).status, 0, said(next).stderr);
    assert.match(said(next).stdout, /var\/lib\/app1/);
    assert.equal(howItEnded(later), 'settled');
    for (const p of ['/var/lib/app0', '/var/lib/app1', '/var/lib/app2', '/etc/app.conf'])
      assert.ok(mounted(after).includes(p), p);
  };

  it('a bind taken away as the apply that made it finishes: the next apply plans and puts it back', () => {
    const system = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    systems.push(system);
    const config = JSON.stringify(system.configFile);
    const r = system.boot([
      { do: 'write', path: '/persist/etc/app.conf', content: 'x=1\n' },
      // A watcher unmounts app1 as soon as it appears, while the apply goes on to record,
      // report and plan again: before that plan (which then is not empty: no record) or
      // after it (the record then names a mount table that is gone).
      sh(
        `(until grep -q " $ROOT/var/lib/app1 " /proc/self/mountinfo; do :; done; umount -n ${point}) & w=$!; KEEPSAKE_PHASES=1 ${KEEPSAKE} -c ${config} > /dev/null 2>&1; wait $w`,
      ),
      { do: 'mounts' },
      apply(),
      apply(),
      { do: 'mounts' },
    ]);
    shOk(r[1]);
    putBack(r[2], r[3], r[4], r[5]);
    assert.equal(said(r[4]).stdout, 'nothing to do: all 5 entries in place\n');
  });

  it('killed at any moment of an apply that acts and then plans again: the next apply is right', () => {
    const { system, setup } = settledSystem();
    const config = JSON.stringify(system.configFile);
    // Twenty applies that each put app1 back, killed after 0 to 190 ms: before, during or
    // after acting, planning again and keeping the record. Then app1 is taken away once more.
    const kills = `for i in $(seq 1 20); do
      umount -n ${point} 2>/dev/null
      ${KEEPSAKE} -c ${config} > /dev/null 2>&1 &
      pid=$!
      sleep 0.$(( (i * 37) % 20 ))$(( i % 10 ))
      kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
      if [ -e ${RECORD} ]; then node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' ${RECORD} || exit 1; fi
    done
    umount -n ${point} 2>/dev/null; true`;
    const r = system.boot([
      ...setup,
      sh(kills),
      { do: 'mounts' },
      apply(),
      apply(),
      { do: 'mounts' },
    ]);
    shOk(r[3]);
    // Whatever record the kills left, none is believed for a mount table without app1.
    putBack(r[4], r[5], r[6], r[7]);
  });

  it('at boot (as keepsake.service runs it) it keeps none, and the first later apply does', () => {
    const system = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    systems.push(system);
    const r = system.boot([
      { do: 'write', path: '/persist/etc/app.conf', content: 'x=1\n' },
      { do: 'apply', args: ['--keep-going'], env: { ...PHASES, KEEPSAKE_BOOT: '1' } },
      sh(`test ! -e ${RECORD}`),
      apply(['--keep-going']),
      apply(['--keep-going']),
    ]);
    assert.equal(said(r[1]).status, 0, said(r[1]).stderr);
    // local-fs.target waited for no second plan.
    assert.doesNotMatch(applied(r[1]).stderr, /"settle":/);
    shOk(r[2]);
    assert.equal(howItEnded(r[3]), 'planned');
    assert.equal(howItEnded(r[4]), 'settled');
    assert.deepEqual(said(r[4]), said(r[3]));
  });

  it('an apply that acted under --keep-going with an entry left out keeps none', () => {
    const config = CONFIG.replace('- /var/lib/app2', '- /var/lib/app2\n      - /var/lib/busy');
    const system = new TestSystem({ config, stores: ['/persist'] });
    systems.push(system);
    const r = system.boot([
      { do: 'write', path: '/persist/etc/app.conf', content: 'x=1\n' },
      // Data in the way of one entry: refused, the others put in place.
      { do: 'write', path: '/var/lib/busy/data', content: 'mine\n' },
      apply(['--keep-going']),
      sh(`test ! -e ${RECORD}`),
      apply(['--keep-going']),
    ]);
    assert.equal(said(r[2]).status, 1, said(r[2]).stderr);
    shOk(r[3]);
    assert.equal(howItEnded(r[4]), 'planned');
    assert.equal(said(r[4]).status, 1);
  });
});

describe('any change sends the next apply back to planning', { skip }, () => {
  /** Settles, checks it is settled, changes one thing, and gives the next two applies. */
  /** `change` between a settled apply and the next; `first`, before the first apply. */
  function afterChange(change: Step[], config = CONFIG, first: Step[] = []) {
    const { system, setup } = settledSystem(config);
    const before = [...first, ...setup];
    const r = system.boot([...before, apply(), ...change, apply(), apply(), apply()]);
    assert.equal(howItEnded(r[before.length]), 'settled', 'settled before the change');
    const n = before.length + 1 + change.length;
    return { system, changed: r.slice(before.length + 1, n), next: r[n], later: r.slice(n + 1) };
  }

  it('a bind taken away: the next apply plans and puts it back', () => {
    const { changed, next, later } = afterChange([
      sh('umount -n "$ROOT/var/lib/app1"'),
      { do: 'mounts' },
    ]);
    const before = changed[1];
    assert.ok(before?.do === 'mounts');
    assert.ok(!before.points.includes('/var/lib/app1'));
    assert.equal(howItEnded(next), 'planned');
    assert.equal(said(next).status, 0, said(next).stderr);
    assert.match(said(next).stdout, /var\/lib\/app1/);
    // Having put it back, it planned again, found nothing left to do and kept the record.
    assert.equal(howItEnded(later[0]), 'settled');
    assert.equal(howItEnded(later[1]), 'settled');
    assert.deepEqual(said(later[0]), said(later[1]));
    assert.equal(said(later[0]).stdout, 'nothing to do: all 5 entries in place\n');
  });

  it('a mount that no answer of the plan depends on: still settled, and says what a plan says', () => {
    // A user's login, a USB stick, a container: mounts elsewhere. And one inside an entry's
    // bind, which a plan with nothing to release or adopt never looks below.
    const { system, setup } = settledSystem();
    const r = system.boot([
      ...setup,
      // The mount points made first: a directory made in an entry is a change of its own.
      sh('mkdir -p "$ROOT/run/user/1000" "$ROOT/media/stick" "$ROOT/persist/var/lib/app0/sub"'),
      apply(),
      apply(),
      sh(
        'mount -n -t tmpfs user "$ROOT/run/user/1000" && mount -n -t tmpfs stick "$ROOT/media/stick" && ' +
          'mount -n -t tmpfs inside "$ROOT/var/lib/app0/sub"',
      ),
      apply(),
      sh(`rm ${RECORD}`),
      apply(),
    ]);
    shOk(r[setup.length]);
    assert.equal(howItEnded(r[setup.length + 2]), 'settled', 'settled before the mounts');
    shOk(r[setup.length + 3]);
    const settled = r[setup.length + 4];
    const planned = r[setup.length + 6];
    assert.equal(howItEnded(settled), 'settled');
    assert.equal(howItEnded(planned), 'planned');
    assert.deepEqual(said(settled), said(planned));
    assert.equal(said(settled).stdout, 'nothing to do: all 5 entries in place\n');
  });

  // The mount table kept beside the record is believed only as it was written.
  const SEEN = '"$ROOT/run/keepsake/settled-mounts.json"';
  for (const [what, cmd, ended] of [
    ['kept as written', 'true', 'settled'],
    ['missing', `rm ${SEEN}`, 'planned'],
    [
      'written again with another table',
      // Its first line (all but the table's text) kept, the text emptied.
      `sed -i '2,$d' ${SEEN} && test "$(wc -l < ${SEEN})" = 1`,
      'planned',
    ],
    ['a planted link', `mv ${SEEN} "$ROOT/run/keepsake/seen" && ln -s seen ${SEEN}`, 'planned'],
    ['writable by others', `chmod 666 ${SEEN}`, 'planned'],
  ] as const) {
    it(`the mount table beside the record ${what}, and a mount elsewhere: the next apply ${ended === 'planned' ? 'plans' : 'is settled'}`, () => {
      // The mount point made before the first apply: a directory made later is a change. An
      // apply that plans keeps the table beside the record (one that acted does not).
      const { next } = afterChange(
        [sh(`rm ${RECORD}`), apply(), sh(cmd), sh('mount -n -t tmpfs stick "$ROOT/media/stick"')],
        CONFIG,
        [{ do: 'write', path: '/media/stick/.keep', content: '' }],
      );
      assert.equal(howItEnded(next), ended);
      assert.equal(said(next).status, 0, said(next).stderr);
      assert.equal(said(next).stdout, 'nothing to do: all 5 entries in place\n');
    });
  }

  it('after an apply that acted, a mount elsewhere: the next apply plans once, then it is settled', () => {
    const { system, setup } = settledSystem();
    const r = system.boot([
      { do: 'write', path: '/media/stick/.keep', content: '' },
      { do: 'write', path: '/media/other/.keep', content: '' },
      ...setup,
      sh('mount -n -t tmpfs stick "$ROOT/media/stick"'),
      apply(),
      sh('mount -n -t tmpfs other "$ROOT/media/other"'),
      apply(),
    ]);
    const n = setup.length + 2;
    assert.equal(howItEnded(r[n - 1]), 'settled', 'settled before the mounts');
    shOk(r[n]);
    assert.equal(howItEnded(r[n + 1]), 'planned');
    shOk(r[n + 2]);
    assert.equal(howItEnded(r[n + 3]), 'settled');
    assert.deepEqual(said(r[n + 3]), said(r[n + 1]));
  });

  it('a mount elsewhere: the settled apply makes the record anew for the table as it is', () => {
    const digest = `node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1])).observed.mounts)' ${RECORD}`;
    const table = 'sha256sum < /proc/self/mountinfo | cut -d" " -f1';
    const names = `test "$(${digest})" = "$(${table})" && echo this || echo another`;
    const { system, setup } = settledSystem();
    const r = system.boot([
      // The mount point made first: a directory made later is a change of its own.
      { do: 'write', path: '/media/stick/.keep', content: '' },
      ...setup,
      // An apply that plans: it keeps the table beside the record (one that acted does not).
      sh(`rm ${RECORD}`),
      apply(),
      sh('mount -n -t tmpfs stick "$ROOT/media/stick"'),
      sh(names),
      apply(),
      sh(names),
      apply(),
    ]);
    const n = setup.length + 2;
    assert.equal(howItEnded(r[n]), 'planned');
    shOk(r[n + 1]);
    assert.equal(shOk(r[n + 2]).trim(), 'another');
    assert.equal(howItEnded(r[n + 3]), 'settled');
    assert.equal(shOk(r[n + 4]).trim(), 'this', 'the record names the table as it is now');
    assert.equal(howItEnded(r[n + 5]), 'settled');
    assert.deepEqual(said(r[n + 5]), said(r[n + 3]));
    assert.equal(said(r[n + 3]).stdout, 'nothing to do: all 5 entries in place\n');
  });

  it('the configuration edited: the next apply plans the new entry', () => {
    const { next } = afterChange([
      {
        do: 'set-config',
        text: CONFIG.replace('- /var/lib/app2', '- /var/lib/app2\n      - /var/lib/app3'),
      },
    ]);
    assert.equal(howItEnded(next), 'planned');
    assert.equal(said(next).status, 0, said(next).stderr);
    assert.match(said(next).stdout, /var\/lib\/app3/);
  });

  // One change each, and the next apply plans (and then does what the change calls for).
  for (const [what, cmd] of [
    [
      'a link entry changed',
      'rm "$ROOT/var/lib/linked" && ln -s /elsewhere "$ROOT/var/lib/linked"',
    ],
    ['the accounts changed', 'echo "alice:x:1000:1000::/home/alice:/bin/sh" >> "$ROOT/etc/passwd"'],
    [
      'a store directory swapped under its bind',
      'mv "$ROOT/persist/var/lib/app2" "$ROOT/persist/var/lib/app2.old" && mkdir "$ROOT/persist/var/lib/app2"',
    ],
    [
      'a file system mounted over the directory above the entries',
      'mount -n -t tmpfs over "$ROOT/var/lib"',
    ],
    [
      'a file system mounted over a store directory',
      'mount -n -t tmpfs over "$ROOT/persist/var/lib/app2"',
    ],
    [
      'a bind stacked on an entry',
      'mount -n --bind "$ROOT/persist/var/lib/app1" "$ROOT/var/lib/app0"',
    ],
    [
      'a journal of an interrupted move',
      'mkdir -p "$ROOT/persist/.keepsake/moves" && echo "{}" > "$ROOT/persist/.keepsake/moves/x.json"',
    ],
    [
      'utab changed',
      'mkdir -p "$ROOT/run/mount" && echo "TARGET=/x OPTS=y" >> "$ROOT/run/mount/utab"',
    ],
    ['another generation live', 'sed -i "s/^1 /7 /" "$ROOT/run/keepsake/applied.json.sum"'],
  ] as const) {
    it(`${what}: the next apply plans`, () => {
      const { next } = afterChange([sh(cmd)]);
      assert.equal(howItEnded(next), 'planned');
    });
  }

  for (const [what, cmd] of [
    ['a planted link', `mv ${RECORD} "$ROOT/run/keepsake/real" && ln -s real ${RECORD}`],
    ['a record others may write', `chmod 666 ${RECORD}`],
    ['a record a user owns', `chown 1000 ${RECORD}`],
    ['a damaged record', `echo '{"version":' > ${RECORD}`],
    ['no record', `rm ${RECORD}`],
  ] as const) {
    it(`${what} in place of the record: it is not believed, and the apply plans`, () => {
      const { next } = afterChange([sh(cmd)]);
      assert.equal(howItEnded(next), 'planned');
      assert.equal(said(next).status, 0, said(next).stderr);
    });
  }

  it('a record written for other answers is not believed', () => {
    // A record whose every answer is the same but one lstat: the inode of the first path.
    const { next } = afterChange([
      sh(
        `node -e 'const f=process.argv[1]; const r=JSON.parse(require("fs").readFileSync(f)); r.observed.stats[0][7]++; require("fs").writeFileSync(f, JSON.stringify(r))' ${RECORD}`,
      ),
    ]);
    assert.equal(howItEnded(next), 'planned');
  });

  it('a record of another build of keepsake is not believed', () => {
    // Another planner may plan otherwise: the same version, another build.
    const { next } = afterChange([
      sh(
        `node -e 'const f=process.argv[1]; const r=JSON.parse(require("fs").readFileSync(f)); r.version=r.version.split(" ")[0]+" 0123456789abcdef"; require("fs").writeFileSync(f, JSON.stringify(r))' ${RECORD}`,
      ),
    ]);
    assert.equal(howItEnded(next), 'planned');
  });
});

describe('the settled record and its store', { skip }, () => {
  it('a full /run: the record is left out, the apply still succeeds, the next one plans', () => {
    const system = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    systems.push(system);
    const r = system.boot([
      { do: 'write', path: '/persist/etc/app.conf', content: 'x=1\n' },
      sh(
        'mkdir -p "$ROOT/run/keepsake" && mount -n -t tmpfs -o size=64k,mode=700 run "$ROOT/run/keepsake"',
      ),
      apply(),
      // Fill what is left, then plan nothing: there is no room for the record.
      sh(
        `rm ${RECORD} "$ROOT/run/keepsake/settled-mounts.json"; dd if=/dev/zero of="$ROOT/run/keepsake/filler" bs=4k 2>/dev/null; test ! -e ${RECORD}`,
      ),
      apply(),
      sh(`test ! -e ${RECORD} && ls "$ROOT/run/keepsake"`),
      apply(),
    ]);
    shOk(r[1]);
    assert.equal(said(r[2]).status, 0, said(r[2]).stderr);
    assert.equal(said(r[4]).status, 0, said(r[4]).stderr);
    assert.equal(said(r[4]).stdout, 'nothing to do: all 5 entries in place\n');
    assert.doesNotMatch(shOk(r[5]), /settled/);
    assert.equal(howItEnded(r[6]), 'planned');
  });

  it('an apply that holds the lock: the settled check waits for nothing and leaves it to planning', () => {
    const { system, setup } = settledSystem();
    const r = system.boot([...setup, apply(), { do: 'apply-twice-at-once', holdMs: 1500 }]);
    assert.equal(howItEnded(r[3]), 'settled');
    const both = r[4];
    assert.ok(both?.do === 'apply-twice-at-once');
    assert.equal(both.first.status, 0, both.first.stderr);
    // The second apply is refused while the first holds the lock, as any apply is.
    assert.notEqual(both.second.status, 0);
    assert.match(both.second.stderr, /lock|busy|another keepsake/i);
  });

  it('a configuration read from a pipe is left whole for the apply that plans', () => {
    const { system, setup } = settledSystem();
    const config = JSON.stringify(system.configFile);
    const r = system.boot([
      ...setup,
      apply(),
      // The record stands; the same configuration now comes through standard input.
      sh(
        `ln -s /proc/self/fd/0 "$ROOT/../stdin.yaml" && cat ${config} | KEEPSAKE_PHASES=1 timeout 60 ${KEEPSAKE} -c "$ROOT/../stdin.yaml"; echo "status $?"`,
      ),
      { do: 'mounts' },
    ]);
    assert.equal(howItEnded(r[3]), 'settled');
    const piped = shOk(r[4]);
    // It plans, with every entry declared: nothing taken down, nothing to do.
    assert.match(piped, /^nothing to do: all 5 entries in place\nstatus 0\n$/);
    assert.match(r[4]?.do === 'sh' ? r[4].stderr : '', /"plan":/);
    const mounts = r[5];
    assert.ok(mounts?.do === 'mounts');
    for (const p of ['/var/lib/app0', '/var/lib/app1', '/var/lib/app2', '/etc/app.conf'])
      assert.ok(mounts.points.includes(p), p);
  });

  it('a stored account file replaced by a link: the apply plans and refuses, as it would', () => {
    const config = `persistence:
  /persist:
    directories:
      - /etc
      - { directory: /var/lib/app0, user: alice, group: alice }
`;
    const system = new TestSystem({
      config,
      stores: ['/persist'],
      users: [{ name: 'alice', uid: 1000 }],
    });
    systems.push(system);
    const stored = '"$ROOT/persist/etc/passwd"';
    const r = system.boot([
      // The accounts live in the store only, as on a system that persists /etc.
      sh(
        'mkdir -p "$ROOT/persist/etc" && mv "$ROOT/etc/passwd" "$ROOT/etc/group" "$ROOT/persist/etc/"',
      ),
      apply(),
      apply(),
      apply(),
      // The same text, through a link: the loader never reads names through a link.
      sh(`cp ${stored} ${stored}.real && rm ${stored} && ln -s passwd.real ${stored}`),
      apply(),
    ]);
    shOk(r[0]);
    assert.equal(said(r[1]).status, 0, said(r[1]).stderr);
    assert.equal(howItEnded(r[3]), 'settled');
    shOk(r[4]);
    // Refused while reading the configuration, before any plan: not settled.
    assert.doesNotMatch(applied(r[5]).stderr, /"settled":/);
    assert.equal(said(r[5]).status, 2, said(r[5]).stdout + said(r[5]).stderr);
    assert.match(said(r[5]).stderr, /symbolic link/);
  });

  it('records its outcome, as every apply does, and a failed apply in between is followed', () => {
    const { system, setup } = settledSystem();
    const last = sh('cat "$ROOT/run/keepsake/last-apply.json"');
    const r = system.boot([
      ...setup,
      last,
      apply(), // settled
      last,
      { do: 'set-config', text: `${CONFIG}  bogus: [\n` },
      apply(), // fails
      last,
      { do: 'set-config', text: CONFIG },
      apply(), // settled again: the record still holds
      last,
    ]);
    const outcome = (i: number) => JSON.parse(shOk(r[i])) as { ok: boolean; finishedAt: string };
    assert.equal(howItEnded(r[4]), 'settled');
    assert.ok(outcome(5).finishedAt > outcome(3).finishedAt);
    assert.equal(said(r[7]).status, 2);
    assert.equal(outcome(8).ok, false);
    assert.equal(howItEnded(r[10]), 'settled');
    assert.equal(outcome(11).ok, true);
  });

  it('an outcome that cannot be recorded: the apply plans and warns, and keeps no record', () => {
    const { system, setup } = settledSystem();
    const r = system.boot([
      ...setup,
      sh(
        `rm -f ${RECORD} "$ROOT/run/keepsake/last-apply.json" && mkdir -p "$ROOT/run/keepsake/last-apply.json/x"`,
      ),
      apply(),
      sh(`test ! -e ${RECORD}`),
      apply(),
    ]);
    shOk(r[3]);
    for (const i of [4, 6]) {
      assert.equal(howItEnded(r[i]), 'planned');
      assert.equal(said(r[i]).status, 0);
      assert.match(said(r[i]).stderr, /the outcome of this apply was not recorded/);
    }
    shOk(r[5]);
  });

  it('a report that cannot be written: said on stderr, exit status 1, no stack trace, either way', () => {
    const { system, setup } = settledSystem();
    const config = JSON.stringify(system.configFile);
    const full = (env: string) =>
      sh(`${env} ${KEEPSAKE} -c ${config} --json > /dev/full; echo "status $?"`);
    const r = system.boot([
      ...setup,
      full('KEEPSAKE_PHASES=1'),
      sh(`rm ${RECORD}`),
      full('KEEPSAKE_PHASES=1'),
    ]);
    for (const [i, how] of [
      [3, 'settled'],
      [5, 'planned'],
    ] as const) {
      const s = r[i];
      assert.ok(s?.do === 'sh');
      assert.equal(s.stdout, 'status 1\n', `${how}: ${s.stderr}`);
      assert.match(s.stderr, /keepsake: cannot write the report to standard output \(ENOSPC\)/);
      assert.doesNotMatch(s.stderr, /\n\s+at /);
      assert.match(s.stderr, how === 'settled' ? /"settled":/ : /"plan":/);
    }
  });

  it('killed at any moment, planning or settled: the next apply is right, and the record whole', () => {
    const { system, setup } = settledSystem();
    const config = JSON.stringify(system.configFile);
    // Twenty applies, each killed after 0 to 190 ms: half of them with the record (settled),
    // half without (planning, then keeping the record, cut anywhere in between).
    const kills = `for i in $(seq 1 20); do
      if [ $((i % 2)) = 0 ]; then rm -f ${RECORD}; fi
      ${KEEPSAKE} -c ${config} > /dev/null 2>&1 &
      pid=$!
      sleep 0.$(( (i * 37) % 20 ))$(( i % 10 ))
      kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
      if [ -e ${RECORD} ]; then node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' ${RECORD} || exit 1; fi
    done`;
    const r = system.boot([...setup, sh(kills), apply(), apply(), { do: 'mounts' }]);
    shOk(r[3]);
    for (const i of [4, 5]) {
      assert.equal(said(r[i]).status, 0, said(r[i]).stderr);
      assert.equal(said(r[i]).stdout, 'nothing to do: all 5 entries in place\n');
    }
    assert.equal(howItEnded(r[5]), 'settled');
    const mounts = r[6];
    assert.ok(mounts?.do === 'mounts');
    for (const p of ['/var/lib/app0', '/var/lib/app1', '/var/lib/app2', '/etc/app.conf'])
      assert.ok(mounts.points.includes(p), p);
  });

  it('a program writing into a kept directory meanwhile: settled, and every file in the store', () => {
    const { system, setup } = settledSystem();
    const dir = '"$ROOT/var/lib/app0"';
    const r = system.boot([
      ...setup,
      // Writes numbered files through the bind until told to stop, then says how many.
      sh(
        `touch "$ROOT/../go" && (i=0; while [ -e "$ROOT/../go" ]; do i=$((i+1)); echo $i > ${dir}/f$i; done; echo $i > "$ROOT/../written") > /dev/null 2>&1 &`,
      ),
      apply(),
      apply(['--json']),
      apply(),
      sh(
        'rm "$ROOT/../go"; while [ ! -s "$ROOT/../written" ]; do sleep 0.05; done; cat "$ROOT/../written"; ls "$ROOT/persist/var/lib/app0" | wc -l',
      ),
    ]);
    shOk(r[3]);
    for (const i of [4, 5, 6]) {
      assert.equal(howItEnded(r[i]), 'settled');
      assert.equal(said(r[i]).status, 0, said(r[i]).stderr);
    }
    const [written, stored] = shOk(r[7]).trim().split('\n').map(Number);
    assert.ok((written ?? 0) > 0, 'the writer wrote');
    // Every file it wrote went through the bind into the store.
    assert.equal(stored, written);
  });
});
