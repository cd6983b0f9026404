// --quiet: nothing on stdout on success but what the command was asked to produce; what went
// wrong still reaches stderr, and the exit status is the same as without it. No progress line
// on a terminal. And NO_COLOR: colour on a terminal, none with NO_COLOR or --no-color.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI, requireNamespaces, type Step, type StepResult, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const ESC = '\u001b';

const CONFIG = `persistence:
  /persist:
    directories: [/var/lib/app]
`;

/** Commands that report, as run once things are in place. */
const REPORTS: string[][] = [
  ['check'],
  ['plan'],
  ['apply'],
  ['status'],
  ['diff'],
  ['generations'],
  ['diff-generations', '1', '1'],
  ['orphans'],
  ['ignore', '/var/tmp', '--dry-run'],
  ['add', '/srv', '--dry-run'],
  ['rollback', '1', '--dry-run'],
  ['release', '--dry-run'],
];
/** Commands whose output is what they were asked for: printed even with --quiet. */
const PRODUCTS: string[][] = [['init'], ['schema'], ['schema', '--records']];

describe('--quiet', { skip }, () => {
  let s: TestSystem;
  let r: StepResult[];
  const cmd = (args: string[], quiet: boolean): Step => ({
    do: 'apply',
    command: args[0]!,
    args: [...args.slice(1), ...(quiet ? ['--quiet'] : [])],
  });
  // On a terminal (script(1) gives one), with colour allowed: TERM set, NO_COLOR unset.
  const onTerminal = (args: string, env = '') =>
    `env -u NO_COLOR TERM=xterm ${env} script -qec "${process.execPath} ${CLI} ${args} --root $ROOT --config ${s.configFile}" /dev/null`;
  before(() => {
    s = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    r = s.boot([
      // Drift, then a refusal: said on stderr even with --quiet.
      cmd(['status'], false),
      cmd(['status'], true),
      { do: 'write', path: '/var/lib/app/own', content: 'not in the store\n' },
      cmd(['plan'], false), // 3
      cmd(['plan'], true),
      cmd(['apply'], true),
      { do: 'remove', path: '/var/lib/app/own' },
      { do: 'write', path: '/srv/file', content: 'undeclared\n' },
      // Quiet first: apply then has its actions to leave out.
      ...REPORTS.flatMap((a) => [cmd(a, true), cmd(a, false)]), // from 8
      ...PRODUCTS.flatMap((a) => [cmd(a, false), cmd(a, true)]),
      // diff shows its progress every 256 directories: give it some to walk.
      { do: 'sh', cmd: 'mkdir -p $ROOT/srv/many && cd $ROOT/srv/many && seq 1 600 | xargs mkdir' },
      { do: 'sh', cmd: onTerminal('diff') },
      { do: 'sh', cmd: onTerminal('diff --quiet') },
      { do: 'sh', cmd: 'umount -n $ROOT/var/lib/app' }, // status now in red on a terminal
      { do: 'sh', cmd: onTerminal('status') },
      { do: 'sh', cmd: onTerminal('status', 'NO_COLOR=1') },
      { do: 'sh', cmd: onTerminal('status --no-color') },
    ]);
  });
  after(() => s?.cleanup());

  const res = (i: number) => {
    const x = r[i];
    assert.ok(x && (x.do === 'apply' || x.do === 'sh'), JSON.stringify(x));
    return x;
  };

  it('still says what went wrong, on stderr, with the same exit status', () => {
    const [loud, quiet] = [res(0), res(1)];
    assert.deepEqual([loud.status, quiet.status], [1, 1]);
    assert.match(loud.stdout, /missing/);
    assert.equal(quiet.stdout, '');
    assert.match(quiet.stderr, /missing/);
    const [plan, quietPlan] = [res(3), res(4)];
    assert.deepEqual([plan.status, quietPlan.status], [1, 1]);
    assert.equal(quietPlan.stdout, '');
    assert.match(quietPlan.stderr, /apply would refuse/);
    const refused = res(5);
    assert.equal(refused.status, 2);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /\/var\/lib\/app/);
  });

  it('prints nothing for a report that went well, and the same exit status', () => {
    REPORTS.forEach((args, i) => {
      const [quiet, loud] = [res(8 + 2 * i), res(9 + 2 * i)];
      const what = `${args.join(' ')}: ${loud.stdout}${loud.stderr}${quiet.stderr}`;
      assert.equal(loud.status, 0, what);
      assert.notEqual(loud.stdout, '', what);
      assert.equal(quiet.status, 0, what);
      assert.equal(quiet.stdout, '', what);
      assert.equal(quiet.stderr, '', what);
    });
  });

  it('prints what it was asked to produce', () => {
    const from = 8 + 2 * REPORTS.length;
    PRODUCTS.forEach((args, i) => {
      const [loud, quiet] = [res(from + 2 * i), res(from + 1 + 2 * i)];
      assert.equal(quiet.status, 0, args.join(' '));
      assert.notEqual(quiet.stdout, '', args.join(' '));
      assert.equal(quiet.stdout, loud.stdout, args.join(' '));
    });
  });

  it('shows no progress line on a terminal', () => {
    const from = 8 + 2 * (REPORTS.length + PRODUCTS.length) + 1;
    const [loud, quiet] = [res(from), res(from + 1)];
    assert.equal(loud.status, 0, loud.stderr);
    // The progress line is rewritten in place: a carriage return and an erase to the end.
    assert.ok(loud.stdout.includes(`\r${ESC}[K`), JSON.stringify(loud.stdout));
    assert.match(loud.stdout, /\d+ entries/);
    assert.equal(quiet.stdout, '');
  });

  it('colours a terminal, and never with NO_COLOR or --no-color', () => {
    const from = 8 + 2 * (REPORTS.length + PRODUCTS.length) + 4;
    const [colour, noColorEnv, noColorFlag] = [res(from), res(from + 1), res(from + 2)];
    for (const x of [colour, noColorEnv, noColorFlag]) assert.match(x.stdout, /not in place/);
    assert.ok(colour.stdout.includes(`${ESC}[33m`), JSON.stringify(colour.stdout));
    assert.ok(!noColorEnv.stdout.includes(ESC), JSON.stringify(noColorEnv.stdout));
    assert.ok(!noColorFlag.stdout.includes(ESC), JSON.stringify(noColorFlag.stdout));
  });
});
