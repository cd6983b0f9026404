// The exit status table of docs/cli.md, held true: 0 done, 1 done with problems (drift, a
// skipped entry, a failure while acting), 2 refused with nothing changed. Each command is
// driven to each status it has; around every exit 2 the root, the store, the mount table and
// the configuration are compared, and must not have changed.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CLI, requireNamespaces, type Step, type StepResult, TestSystem } from '../helpers/boot.js';
import { filesConfig, type HomeStep, homesOfSuite, ran as ranHome } from '../helpers/home.js';

const skip = requireNamespaces();

const CONFIG = `persistence:
  /persist:
    directories: [/var/lib/app]
`;
const MORE = `persistence:
  /persist:
    directories: [/var/lib/app, /var/lib/more]
`;
// Invalid: a relative path.
const BAD = `persistence:
  /persist:
    directories: [var/lib/app]
`;

interface Case {
  name: string;
  /** Prepares the root (files, mounts): its own steps, run first. */
  setup?: Step[];
  command: string;
  args?: string[];
  env?: Record<string, string>;
  code: number;
}

describe('exit status, command by command', { skip }, () => {
  let s: TestSystem;
  let results: StepResult[];
  const cases: Case[] = [];
  // Where each case's command result and, for exit 2, its before and after snapshots are.
  const where: Array<{ ran: number; snaps?: [number, number] }> = [];

  before(() => {
    s = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    const bad = `${s.dir}/bad.yaml`;
    fs.writeFileSync(bad, BAD);
    fs.writeFileSync(`${s.dir}/exists.yaml`, 'mine\n');
    const invalid = (command: string, args: string[] = []): Case => ({
      name: `${command} with an invalid configuration`,
      command,
      args: [...args, '--config', bad],
      code: 2,
    });
    cases.push(
      // Nothing applied yet: declared but not in place is drift.
      { name: 'status before any apply (drift)', command: 'status', code: 1 },
      ...[
        'apply',
        'plan',
        'status',
        'check',
        'diff',
        'orphans',
        'prune',
        'generations',
        'rollback',
        'install-service',
      ].map((c) => invalid(c)),
      invalid('add', ['/srv']),
      invalid('ignore', ['/srv']),
      invalid('diff-generations', ['1', '2']),
      invalid('compile', ['--systemd', `${s.dir}/units-bad`]),
      {
        name: 'plan with data of its own at a target (apply would refuse)',
        setup: [{ do: 'write', path: '/var/lib/app/own', content: 'not in the store\n' }],
        command: 'plan',
        code: 1,
      },
      { name: 'check --root with that problem', command: 'check', code: 1 },
      { name: 'status with that problem', command: 'status', code: 1 },
      { name: 'apply refused by the plan', command: 'apply', code: 2 },
      {
        name: 'add refused by the plan',
        setup: [
          {
            do: 'sh',
            cmd: 'mkdir -p $ROOT/opt/data/sub && mount -n -t tmpfs other $ROOT/opt/data/sub',
          },
        ],
        command: 'add',
        args: ['/opt/data'],
        code: 2,
      },
      {
        name: 'apply --keep-going skips the entry',
        command: 'apply',
        args: ['--keep-going'],
        code: 1,
      },
      {
        name: 'apply',
        setup: [{ do: 'remove', path: '/var/lib/app/own' }],
        command: 'apply',
        code: 0,
      },
      { name: 'status in place', command: 'status', code: 0 },
      { name: 'plan in place', command: 'plan', code: 0 },
      { name: 'check in place', command: 'check', code: 0 },
      { name: 'diff, nothing escaped', command: 'diff', code: 0 },
      { name: 'diff with a bad --depth', command: 'diff', args: ['--depth', 'deep'], code: 2 },
      {
        name: 'apply that fails while acting (undone)',
        setup: [{ do: 'set-config', text: MORE }],
        command: 'apply',
        env: { KEEPSAKE_FAIL_AT_ACTION: '0' },
        code: 1,
      },
      { name: 'apply after the failure', command: 'apply', code: 0 },
      {
        name: 'diff with escaped state',
        setup: [
          {
            do: 'sh',
            cmd: 'umount -n $ROOT/var/lib/more && echo escaped > $ROOT/var/lib/more/x',
          },
        ],
        command: 'diff',
        code: 1,
      },
      {
        name: 'apply after the escape is cleared',
        setup: [{ do: 'remove', path: '/var/lib/more/x' }],
        command: 'apply',
        code: 0,
      },
      { name: 'generations', command: 'generations', code: 0 },
      { name: 'diff-generations', command: 'diff-generations', args: ['1', '2'], code: 0 },
      {
        name: 'diff-generations of one that does not exist',
        command: 'diff-generations',
        args: ['1', '99'],
        code: 2,
      },
      { name: 'rollback to one that does not exist', command: 'rollback', args: ['99'], code: 2 },
      { name: 'rollback', command: 'rollback', args: ['1'], code: 0 },
      { name: 'orphans', command: 'orphans', code: 0 },
      {
        name: 'prune without --yes',
        setup: [{ do: 'sh', cmd: 'mkdir $ROOT/persist/old && echo x > $ROOT/persist/old/f' }],
        command: 'prune',
        code: 2,
      },
      { name: 'prune of data in use', command: 'prune', args: ['/persist/var', '--yes'], code: 2 },
      { name: 'prune --yes', command: 'prune', args: ['--yes'], code: 0 },
      {
        name: 'add --dry-run',
        setup: [{ do: 'write', path: '/srv/data', content: 'kept\n' }],
        command: 'add',
        args: ['/srv', '--dry-run'],
        code: 0,
      },
      {
        name: 'add to a store not declared',
        command: 'add',
        args: ['/srv', '--store', '/nope'],
        code: 2,
      },
      {
        name: 'add',
        command: 'add',
        args: ['/srv'],
        code: 0,
      },
      { name: 'ignore', command: 'ignore', args: ['/var/tmp'], code: 0 },
      {
        name: 'ignore for a user who does not exist',
        command: 'ignore',
        args: ['.cache', '--user', 'nobody-here'],
        code: 2,
      },
      { name: 'compile', command: 'compile', args: ['--systemd', `${s.dir}/units`], code: 0 },
      {
        name: 'compile with a store device for no store',
        command: 'compile',
        args: ['--systemd', `${s.dir}/units`, '--store-device', '/nope=/dev/sdz'],
        code: 2,
      },
      {
        name: 'install-service with the configuration outside the root',
        command: 'install-service',
        args: ['--unit-dir', `${s.dir}/unit-dir`],
        code: 2,
      },
      { name: 'init', command: 'init', code: 0 },
      {
        name: 'init over a file that exists',
        command: 'init',
        args: ['--output', `${s.dir}/exists.yaml`],
        code: 2,
      },
      { name: 'schema', command: 'schema', code: 0 },
      { name: 'schema --records', command: 'schema', args: ['--records'], code: 0 },
      { name: 'schema with an unknown option', command: 'schema', args: ['--bogus'], code: 2 },
      { name: 'release --dry-run', command: 'release', args: ['--dry-run'], code: 0 },
      { name: 'release with a stray argument', command: 'release', args: ['now'], code: 2 },
      { name: 'release', command: 'release', code: 0 },
    );
    // The lock's directory exists from the start: taking the lock is not a change.
    const steps: Step[] = [{ do: 'sh', cmd: 'mkdir -p $ROOT/run/keepsake' }];
    const snapshot: Step = {
      do: 'sh',
      cmd: [
        `cd $ROOT && find . -path ./run/keepsake -prune -o -printf '%p %y %s %m %T@ %l\\n' | LC_ALL=C sort`,
        `cd ${s.disks['/persist']} && find . -printf '%p %y %s %m %T@ %l\\n' | LC_ALL=C sort`,
        `findmnt -rn -o TARGET,SOURCE,OPTIONS | LC_ALL=C sort`,
        `cat ${s.configFile} ${s.dir}/exists.yaml; ls ${s.dir}`,
      ].join('; '),
    };
    for (const c of cases) {
      steps.push(...(c.setup ?? []));
      const run: Step = {
        do: 'apply',
        command: c.command,
        args: c.args ?? [],
        ...(c.env ? { env: c.env } : {}),
      };
      if (c.code === 2) {
        steps.push(snapshot, run, snapshot);
        where.push({ ran: steps.length - 2, snaps: [steps.length - 3, steps.length - 1] });
      } else {
        steps.push(run);
        where.push({ ran: steps.length - 1 });
      }
    }
    // Another keepsake holds the lock: the second apply is refused.
    steps.push({ do: 'apply-twice-at-once', holdMs: 1500 });
    results = s.boot(steps);
  });
  after(() => s?.cleanup());

  it('exits with the status of the table, and changes nothing when it exits 2', () => {
    assert.ok(CLI);
    const wrong: string[] = [];
    cases.forEach((c, i) => {
      const at = where[i]!;
      const r = results[at.ran];
      assert.ok(r?.do === 'apply');
      if (r.status !== c.code)
        wrong.push(`${c.name}: exit ${r.status}, not ${c.code}\n${r.stdout}${r.stderr}`);
      if (at.snaps) {
        const [a, b] = at.snaps.map((n) => results[n]);
        assert.ok(a?.do === 'sh' && b?.do === 'sh' && a.status === 0, JSON.stringify(a));
        if (a.stdout !== b.stdout) wrong.push(`${c.name}: exit 2, yet something changed`);
      }
    });
    assert.deepEqual(wrong, []);
    const twice = results.at(-1);
    assert.ok(twice?.do === 'apply-twice-at-once');
    assert.equal(twice.first.status, 0, twice.first.stderr);
    assert.equal(twice.second.status, 2, twice.second.stderr);
    assert.match(twice.second.stderr, /another keepsake is working/);
  });
});

describe('exit status of the home commands', { skip }, () => {
  const testHome = homesOfSuite((h) => h.userDir('store'));
  // A refused home apply exits 1, not 2: the home is unchanged, but the content was staged
  // in the home store before the checks.
  it('0 done, 1 refused or stopped part way, 2 for bad usage', () => {
    const h = testHome();
    h.setConfig(filesConfig('.a: { text: "one" }'));
    const snap: HomeStep = {
      do: 'sh',
      cmd: `cd "$HOME_DIR" && find . -printf '%p %y %s %T@ %l\\n' | LC_ALL=C sort`,
    };
    const steps: HomeStep[] = [
      { do: 'user', args: ['home', 'generations'] }, // 0: none yet
      { do: 'user', args: ['home', 'rollback'] }, // 1: nothing to roll back to
      { do: 'user', args: ['home', 'expire'] }, // 2: says not which
      { do: 'sh', cmd: 'echo mine > "$HOME_DIR/.a" && chown 4242:4242 "$HOME_DIR/.a"' },
      snap, // 4
      { do: 'user', args: ['home', 'apply'] }, // 5: a file in the way: refused, exit 1
      snap, // 6
      { do: 'sh', cmd: 'rm "$HOME_DIR/.a"' },
      { do: 'user', args: ['home', 'apply'] }, // 8
      { do: 'user', args: ['home', 'generations'] }, // 9
      { do: 'sh', cmd: `sed -i s/one/two/ "$DIR/keepsake.yaml"` },
      { do: 'user', args: ['home', 'apply'], env: { KEEPSAKE_TEST_HOME_STOP_AFTER: '0' } }, // 11
      { do: 'user', args: ['home', 'apply'] }, // 12
      { do: 'user', args: ['home', 'expire', '--keep', '1'] }, // 13
    ];
    const r = h.run(steps);
    const code = (i: number) => ranHome(r[i]).status;
    const said = (i: number) => `${ranHome(r[i]).stdout}${ranHome(r[i]).stderr}`;
    assert.deepEqual(
      [0, 1, 2, 5, 8, 9, 11, 12, 13].map((i) => [i, code(i)]),
      [
        [0, 0],
        [1, 2],
        [2, 2],
        [5, 1],
        [8, 0],
        [9, 0],
        [11, 1],
        [12, 0],
        [13, 0],
      ],
      [5, 11].map(said).join('\n'),
    );
    assert.equal(
      ranHome(r[4]).stdout,
      ranHome(r[6]).stdout,
      'a refused home apply changed nothing',
    );
  });
});
