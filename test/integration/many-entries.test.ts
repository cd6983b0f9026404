// 20,000 entries under a limit of 1,024 open descriptors: an apply may hold only a bounded
// number of descriptors at once, whatever the size of the configuration, and still undo its
// own work by path. The apply, a re-apply with nothing to do, and a release all succeed, and
// every entry is in place (then gone) exactly.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CLI,
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const DIRECTORIES = 17_000;
const FILES = 2_000;
const LINKS = 1_000;
const FD_LIMIT = 1024;
/** An action near the end of the apply: the binds of most entries are made before it. */
const FAIL_AT = 50_000;

const dir = (i: number) => `/srv/g${i % 97}/h${i % 13}/d${i}`;
const file = (i: number) => `/etc/many/g${i % 41}/f${i}.conf`;
const link = (i: number) => `/var/links/g${i % 7}/l${i}`;

function config(): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['persistence:', '  /persist:', '    hideMounts: false', '    directories:'];
  for (let i = 0; i < DIRECTORIES; i++) lines.push(`      - ${q(dir(i))}`);
  for (let i = 0; i < LINKS; i++)
    lines.push(`      - { directory: ${q(link(i))}, method: symlink }`);
  lines.push('    files:');
  for (let i = 0; i < FILES; i++) lines.push(`      - ${q(file(i))}`);
  return `${lines.join('\n')}\n`;
}

/** A keepsake command under `ulimit -n`, its JSON output kept in the root's /tmp; prints the
 *  exit status and the last line (the summary). */
const limited = (command: string, out: string, env = '') => ({
  do: 'sh' as const,
  cmd: `t0=$(date +%s%N); (ulimit -n ${FD_LIMIT} && exec ${env} "${process.execPath}" "${CLI}" ${command} --root "$ROOT" --config "$CONFIG" --json > "$ROOT/tmp/${out}" 2>&1); echo "status $?"; tail -n 1 "$ROOT/tmp/${out}"; grep -m 3 -i -e "too many" -e '"failed"' "$ROOT/tmp/${out}"; echo "${command}: $((($(date +%s%N) - t0) / 1000000)) ms" >&2`,
});

const sh = (r: StepResult | undefined) => {
  assert.ok(r?.do === 'sh');
  return r;
};
const mounts = (r: StepResult | undefined) => {
  assert.ok(r?.do === 'mounts');
  return r.points;
};

function summary(r: StepResult | undefined): { ok: boolean; actions: number } {
  const { stdout, stderr } = sh(r);
  const [status, last] = stdout.split('\n');
  assert.equal(status, 'status 0', `${stdout}${stderr}`);
  return JSON.parse(last!) as { ok: boolean; actions: number };
}

describe(`${DIRECTORIES + FILES + LINKS} entries with ${FD_LIMIT} descriptors`, { skip }, () => {
  it('applies, re-applies with nothing to do, and releases, all in place', (t) => {
    const s = new TestSystem({ config: config(), stores: ['/persist'] });
    systems.push(s);
    // Stored copies of the files exist, so that every file entry is a bind.
    for (let i = 0; i < FILES; i++) {
      fs.mkdirSync(path.dirname(s.disk('/persist', file(i))), { recursive: true });
      fs.writeFileSync(s.disk('/persist', file(i)), `kept ${i}\n`);
    }
    const withConfig = (step: ReturnType<typeof limited>) => ({
      ...step,
      cmd: `CONFIG=${JSON.stringify(s.configFile)}; ${step.cmd}`,
    });
    const results = s.boot([
      // A step fails late: everything done before it is undone, by path, with few descriptors.
      withConfig(limited('apply', 'failed', `env KEEPSAKE_FAIL_AT_ACTION=${FAIL_AT}`)),
      { do: 'mounts' },
      {
        do: 'sh',
        cmd: `grep -c '"status":"undone"' "$ROOT/tmp/failed"; grep -c undo-failed "$ROOT/tmp/failed"; ls "$ROOT"`,
      },
      withConfig(limited('apply', 'first')),
      { do: 'mounts' },
      {
        do: 'sh',
        cmd: `n=0; for i in 0 499 999; do l=$(readlink "$ROOT/var/links/g$((i % 7))/l$i") && n=$((n+1)); done; echo "$n $l"`,
      },
      withConfig(limited('apply', 'again')),
      withConfig(limited('release', 'release')),
      { do: 'mounts' },
    ]);

    for (const i of [0, 3, 6, 7]) t.diagnostic(sh(results[i]).stderr.trim());
    const failed = sh(results[0]).stdout.split('\n');
    assert.equal(failed[0], 'status 1', sh(results[0]).stdout);
    assert.equal(JSON.parse(failed[1]!).ok, false);
    assert.deepEqual(mounts(results[1]), ['/persist'], 'every bind undone');
    const [undone, undoFailed, ...left] = sh(results[2]).stdout.trim().split('\n');
    assert.ok(Number(undone) >= FAIL_AT / 2, `${undone} steps undone`);
    assert.equal(undoFailed, '0');
    assert.deepEqual(left, ['etc', 'persist', 'run', 'tmp'], 'every directory made removed');
    results.splice(0, 3);
    const first = summary(results[0]);
    assert.equal(first.ok, true);
    assert.ok(first.actions >= DIRECTORIES + FILES + LINKS, `${first.actions} actions`);

    const points = new Set(mounts(results[1]));
    const expected = [
      ...Array.from({ length: DIRECTORIES }, (_, i) => dir(i)),
      ...Array.from({ length: FILES }, (_, i) => file(i)),
    ];
    const missing = expected.filter((p) => !points.has(p));
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} entries not mounted`);
    assert.equal(points.size, expected.length + 1, 'every bind and the store, nothing else');
    assert.equal(sh(results[2]).stdout.trim(), '3 /persist/var/links/g5/l999');

    const again = summary(results[3]);
    assert.deepEqual(again, { ...again, ok: true, actions: 0 });

    summary(results[4]);
    assert.deepEqual(mounts(results[5]), ['/persist'], 'only the store is left mounted');
  });
});
