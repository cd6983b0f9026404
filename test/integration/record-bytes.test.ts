// A real apply of a 1,300-entry configuration, with real bind mounts in a private mount
// namespace: its --json lines and every record it writes (applied.json and its summary, the
// store's NNNNNN.json and NNNNNN.setup) are byte for byte what JSON.stringify makes of the
// values they hold, the live record is exactly the history record trimmed as documented, and
// diff-generations and rollback read them back.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ActionOutcome } from '../../src/apply/execute.js';
import { actionRecord, recordVersion } from '../../src/cli/records.js';
import type { Generation } from '../../src/plan/generation.js';
import {
  applied,
  CLI,
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';
import {
  RECORD_STORE,
  RECORD_USER,
  recordLayout,
  referenceLive,
} from '../helpers/record-layout.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const sh = (r: StepResult | undefined) => {
  assert.ok(r?.do === 'sh');
  assert.equal(r.status, 0, r.stderr);
  return r;
};

/** Every action line is the spread record of the plan's action at its index, byte for byte. */
function checkLines(stdout: string, plan: Generation['plan']): number {
  const lines = stdout.trim().split('\n');
  const last = JSON.parse(lines.pop()!) as { record: string; ok: boolean };
  assert.equal(last.record, 'apply.result');
  assert.equal(last.ok, true);
  for (const line of lines) {
    const parsed = JSON.parse(line) as ActionOutcome;
    const action = plan.actions[parsed.index]!;
    const o = { ...parsed, action } as ActionOutcome;
    const reference = {
      record: 'apply.event',
      version: recordVersion('apply.event'),
      ...actionRecord(o),
    };
    assert.equal(line, JSON.stringify(reference));
  }
  return lines.length;
}

describe('the records of a real apply, byte for byte', { skip }, () => {
  it('writes and prints exactly the JSON of what it records, and reads it back', () => {
    const layout = recordLayout();
    const s = new TestSystem({
      config: layout.config,
      stores: [RECORD_STORE],
      users: [RECORD_USER],
    });
    systems.push(s);
    for (const f of layout.storedFiles) {
      fs.mkdirSync(path.dirname(s.disk(RECORD_STORE, f)), { recursive: true });
      fs.writeFileSync(s.disk(RECORD_STORE, f), `kept ${f}\n`);
    }
    const kept = (n: number) => `${s.dir}/run${n}`;
    const keepRun = (n: number) => ({
      do: 'sh' as const,
      cmd: `mkdir -p ${kept(n)} && cp "$ROOT/run/keepsake/applied.json" "$ROOT/run/keepsake/applied.json.sum" ${kept(n)}/`,
    });
    const second = recordLayout(1, 100);
    // The output of a large apply is kept in a file: more than a pipe's buffer may hold.
    const keepsake = (n: number, args: string) => ({
      do: 'sh' as const,
      cmd: `"${process.execPath}" "${CLI}" ${args} --root "$ROOT" --config "${s.configFile}" --json > ${s.dir}/out${n}; echo $? > ${s.dir}/status${n}`,
    });
    const r = s.boot([
      keepsake(1, 'apply'),
      keepRun(1),
      { do: 'set-config', text: second.config },
      keepsake(2, 'apply'),
      keepRun(2),
      { do: 'apply', command: 'diff-generations', args: ['1', '2', '--json'] },
      keepsake(3, 'rollback 1'),
      keepRun(3),
    ]);
    const gens = s.disk(RECORD_STORE, '/.keepsake/generations');
    const history = (n: number) => fs.readFileSync(`${gens}/00000${n}.json`, 'utf8');
    for (const [step, n] of [
      [0, 1],
      [3, 2],
      [6, 3],
    ] as const) {
      sh(r[step]);
      assert.equal(fs.readFileSync(`${s.dir}/status${n}`, 'utf8'), '0\n');
      sh(r[step + 1]);
      const text = history(n);
      const g = JSON.parse(text) as Generation;
      assert.equal(g.number, n);
      // The whole record is JSON.stringify of what it holds.
      assert.equal(text, `${JSON.stringify(g)}\n`);
      assert.equal(
        fs.readFileSync(`${gens}/00000${n}.setup`, 'utf8').split(' ')[1],
        `${Buffer.byteLength(text)}\n`,
      );
      // The live record is that same generation, trimmed.
      const live = fs.readFileSync(`${kept(n)}/applied.json`, 'utf8');
      assert.equal(live, `${JSON.stringify(referenceLive(g))}\n`);
      assert.match(
        fs.readFileSync(`${kept(n)}/applied.json.sum`, 'utf8'),
        new RegExp(`^${n} [0-9a-f]{64} 0\n$`),
      );
      const lines = checkLines(fs.readFileSync(`${s.dir}/out${n}`, 'utf8'), g.plan);
      assert.ok(lines > 0 && lines === g.plan.actions.length, `${lines} lines`);
    }
    const g2 = JSON.parse(history(2)) as Generation;
    assert.ok(g2.plan.released.length > 0, 'the second apply released entries');
    assert.ok(g2.actions.length > g2.plan.actions.length / 2);
    const g3 = JSON.parse(history(3)) as Generation;
    assert.equal(g3.rollbackOf, 1);
    assert.deepEqual(g3.model.entries, (JSON.parse(history(1)) as Generation).model.entries);
    const diff = applied(r[5]);
    assert.equal(diff.status, 0, diff.stderr);
    const d = JSON.parse(diff.stdout.trim().split('\n').at(-1)!) as { removed: unknown[] };
    assert.equal(d.removed.length, 100);
  });
});
