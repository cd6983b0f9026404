// A bind never hides data: a program that writes into a mount point after the plan saw it
// empty (keepsake held stopped there, the file written, keepsake let go) finds its file where
// it wrote it, with nothing mounted over it. The apply fails loudly and is undone, or with
// --keep-going leaves out only that entry. On the JavaScript path (held before its first
// bind) and through the addon (held before its first run of native steps).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { singleQuoted } from '../../src/core/display.js';
import {
  CLI,
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const CONFIG = `persistence:
  /persist:
    directories:
      - /var/lib/a
      - /var/lib/b
`;
const WAIT_STOPPED = `for i in $(seq 200); do [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" = T ] && break; sleep 0.05; done`;

interface Outcome {
  status: number;
  output: string;
  held: string;
  points: string[];
  late: string;
  inStore: string;
}

function sh(r: StepResult | undefined): string {
  assert.ok(r?.do === 'sh');
  return r.stdout;
}

/** Apply with keepsake held at `stopAt`, a file written into /var/lib/a meanwhile. */
function heldApply(stopAt: string, env: string, args: string): Outcome {
  const s = new TestSystem({ config: CONFIG, stores: ['/persist'] });
  systems.push(s);
  const ks = `NO_COLOR=1 ${env} KEEPSAKE_TEST_STOP_AT=${stopAt} ${[process.execPath, CLI].map(singleQuoted).join(' ')} apply ${args} --root "$ROOT" --config ${singleQuoted(s.configFile)}`;
  const r = s.boot([
    // The mount point exists and is empty (so the plan passes it); the store holds data.
    { do: 'mkdir', path: '/var/lib/a' },
    { do: 'write', path: '/persist/var/lib/a/kept', content: 'stored\n' },
    {
      do: 'sh',
      cmd: `${ks} > "$ROOT/../apply.out" 2>&1 & p=$!; ${WAIT_STOPPED}; state=$(cut -d' ' -f3 /proc/$p/stat); echo late > "$ROOT/var/lib/a/late"; kill -CONT $p; wait $p; echo "$? $state"; cat "$ROOT/../apply.out"`,
    },
    { do: 'mounts' },
    { do: 'sh', cmd: 'cat "$ROOT/var/lib/a/late" 2>&1; true' },
    { do: 'sh', cmd: 'ls -A "$ROOT/persist/var/lib/a"' },
  ]);
  const out = sh(r[2]);
  const [first = '', ...rest] = out.split('\n');
  const [status, held = ''] = first.split(' ');
  const mounts = r[3];
  assert.ok(mounts?.do === 'mounts');
  return {
    status: Number(status),
    held,
    output: rest.join('\n'),
    // The store's own disk is mounted by the test system itself.
    points: mounts.points.filter((m) => m !== '/persist'),
    late: sh(r[4]),
    inStore: sh(r[5]),
  };
}

const PATHS = [
  {
    name: 'the JavaScript path, held before its first bind',
    stopAt: 'bind:1',
    env: 'KEEPSAKE_STEPS=js',
  },
  { name: 'native steps, held before their first run', stopAt: 'native-steps:1', env: '' },
];

describe('a bind hides nothing', { skip }, () => {
  for (const p of PATHS) {
    it(`${p.name}: the apply fails, is undone, and the file is where it was written`, () => {
      const o = heldApply(p.stopAt, p.env, '');
      assert.equal(o.held, 'T', `keepsake was held: ${o.output}`);
      assert.equal(o.status, 1, o.output);
      assert.match(o.output, /data appeared in '[^']*\/var\/lib\/a' after it was checked \(late\)/);
      assert.match(o.output, /nothing was mounted over it/);
      // Nothing stays mounted: the failed bind was taken down and the apply undone.
      assert.deepEqual(o.points, []);
      assert.equal(o.late, 'late\n');
      // The store holds its own data only: nothing was written through the brief bind.
      assert.equal(o.inStore, 'kept\n');
    });

    it(`${p.name}, with --keep-going: only that entry is left out`, () => {
      const o = heldApply(p.stopAt, p.env, '--keep-going');
      assert.equal(o.held, 'T', `keepsake was held: ${o.output}`);
      assert.notEqual(o.status, 0, o.output);
      assert.match(o.output, /data appeared in '[^']*\/var\/lib\/a'/);
      assert.deepEqual(o.points, ['/var/lib/b']);
      assert.equal(o.late, 'late\n');
      assert.equal(o.inStore, 'kept\n');
    });
  }
});
