// KEEPSAKE_PHASES=1: keepsake tells where an apply's time went, as one JSON line on stderr at
// exit, every phase in order and accounted for; without it, stderr says nothing of the kind.
// The action lines of `--json`, gathered and written in chunks, all arrive, in order.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const dirs = Array.from({ length: 300 }, (_, i) => `/srv/p${i % 7}/d${i}`);
const CONFIG = `persistence:\n  /persist:\n    directories:\n${dirs.map((d) => `      - ${d}\n`).join('')}`;
const ORDER = ['start', 'config', 'observe', 'plan', 'execute', 'record', 'output'];
/** An apply that keeps the settled record: planning again (after acting) and writing it. */
const SETTLING = [...ORDER, 'settle'];

const applied = (r: StepResult | undefined) => {
  assert.ok(r?.do === 'apply');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return r;
};

function phasesOf(stderr: string) {
  const lines = stderr.split('\n').filter((l) => l.startsWith('{"phases"'));
  assert.equal(lines.length, 1, stderr);
  return JSON.parse(lines[0]!) as { phases: Record<string, number>; totalMs: number };
}

describe('KEEPSAKE_PHASES', { skip }, () => {
  it('reports each phase once, in order, adding up to the whole run', () => {
    const s = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    systems.push(s);
    const env = { KEEPSAKE_PHASES: '1' };
    const r = s.boot([
      { do: 'apply', args: ['--json'], env },
      { do: 'apply', args: ['--json'], env },
      { do: 'apply', args: ['--json'] },
      { do: 'sh', cmd: 'rm "$ROOT/run/keepsake/settled.json"' },
      { do: 'apply', args: ['--json'], env },
      { do: 'apply', args: ['--json', '--verbose'], env },
    ]);
    // The first apply (it acts, then plans again and keeps the settled record), the re-apply
    // answered from that record (its check is its one phase between start and output), one
    // that plans nothing (and keeps the record again), and one that the record cannot answer
    // and that keeps none (--verbose reports more than a settled apply knows).
    const runs: [StepResult | undefined, string[]][] = [
      [r[0], SETTLING],
      [r[1], ['start', 'settled', 'output']],
      [r[4], SETTLING],
      [r[5], ORDER],
    ];
    for (const [run, order] of runs) {
      const { phases, totalMs } = phasesOf(applied(run).stderr);
      assert.deepEqual(Object.keys(phases), order);
      for (const v of Object.values(phases)) assert.ok(v >= 0, JSON.stringify(phases));
      const sum = Object.values(phases).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - totalMs) < 2, `${sum} against ${totalMs}`);
    }
    // The first apply's action lines: every one, numbered in order, then the summary.
    const lines = applied(r[0])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.pop();
    assert.equal(summary.event, 'result');
    assert.ok(summary.actions >= dirs.length * 3, `${summary.actions} actions`);
    assert.deepEqual(
      lines.map((l) => l.index),
      Array.from({ length: summary.actions }, (_, i) => i),
    );
    assert.doesNotMatch(applied(r[2]).stderr, /phases/);
  });
});
