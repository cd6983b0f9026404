// The records an apply writes (applied.json and its summary, each store's NNNNNN.json and
// NNNNNN.setup) and its --json action lines are built from pieces of JSON text, each large
// value stringified once. They must be, byte for byte, what JSON.stringify makes of the whole
// objects (the model's entries packed, as the records keep them), for real plans of a 1,300-entry configuration: a first apply, and a second one that
// carries the first's set-up, skips an entry with --keep-going and rolls back.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { ActionOutcome, ExecuteEvent } from '../../src/apply/execute.js';
import { applyPlan, type Prepared, preparePlan } from '../../src/apply/pipeline.js';
import { actionLine, actionRecord, type RecordName, recordVersion } from '../../src/cli/records.js';
import { buildGeneration } from '../../src/generations/build.js';
import { setupOf } from '../../src/generations/store.js';
import { generationRecords } from '../../src/generations/text.js';
import { packEntries } from '../../src/model/pack.js';
import type { Model } from '../../src/model/types.js';
import type { Generation } from '../../src/plan/generation.js';
import type { Plan } from '../../src/plan/types.js';
import { type FileContent, textOf } from '../../src/system/file-content.js';
import { createRecordingSystem } from '../../src/system/system.js';
import { VERSION } from '../../src/version.js';
import {
  RECORD_STORE,
  type RecordLayout,
  recordLayout,
  referenceLive,
} from '../helpers/record-layout.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A root with the layout's accounts and stored files, and its configuration in /etc. */
function makeRoot(layout: RecordLayout): { root: string; configFile: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-rec-'));
  dirs.push(root);
  fs.chmodSync(root, 0o755);
  fs.mkdirSync(`${root}/etc`, { mode: 0o755 });
  fs.writeFileSync(`${root}/etc/passwd`, layout.passwd);
  fs.writeFileSync(`${root}/etc/group`, layout.group);
  fs.mkdirSync(`${root}${RECORD_STORE}`, { mode: 0o755 });
  for (const f of layout.storedFiles) {
    fs.mkdirSync(path.dirname(`${root}${RECORD_STORE}${f}`), { recursive: true, mode: 0o755 });
    fs.writeFileSync(`${root}${RECORD_STORE}${f}`, 'kept\n');
  }
  const configFile = `${root}/etc/keepsake.yaml`;
  fs.writeFileSync(configFile, layout.config);
  return { root, configFile };
}

/** An action line as keepsake first printed it: the record spread into a new object. */
function referenceLine(name: RecordName, o: ActionOutcome): string {
  return JSON.stringify({ record: name, version: recordVersion(name), ...actionRecord(o) });
}

/** Applies with a system that acts on nothing, and returns what it would have written. */
function applyRecorded(prepared: Prepared, now: Date, rollbackOf?: number) {
  const sys = createRecordingSystem();
  const lines: string[] = [];
  const outcomes: ActionOutcome[] = [];
  const onEvent = ({ outcome }: ExecuteEvent) => {
    lines.push(actionLine('apply.event', outcome));
    outcomes.push({ ...outcome });
  };
  const result = applyPlan(prepared, sys, onEvent, now, rollbackOf ? { rollbackOf } : {});
  const written = new Map<string, { dir: string; content: string }>();
  for (const c of sys.calls) {
    if (c.op !== 'writeRecord') continue;
    const [dir, name, content] = c.args as [string, string, FileContent];
    // The file's text, as keepsake reads it back.
    const text = textOf(content);
    written.set(name, { dir, content: text });
  }
  return { result, lines, outcomes, written };
}

/** The generation keepsake records, built the straightforward way from the same plan. */
function referenceGeneration(
  prepared: Prepared,
  previous: Generation | undefined,
  number: number,
  now: Date,
  history: string,
  rollbackOf?: number,
): Generation {
  const { plan, model } = prepared;
  const carried: Plan = { ...plan, actions: plan.actions };
  const g = buildGeneration(model, carried, previous, number, now, VERSION, rollbackOf);
  // The one figure a test cannot know in advance: taken from the record itself.
  const { durationSeconds } = JSON.parse(history) as Generation;
  assert.equal(typeof durationSeconds, 'number');
  return { ...g, durationSeconds };
}

/** A generation as its records keep it: the model's entries packed (src/model/pack.ts). */
function onDisk(g: Generation): Generation {
  const packed = packEntries(g.model.entries);
  assert.ok(packed, 'the entries are packed');
  return { ...g, model: { ...g.model, entries: packed as unknown as Model['entries'] } };
}

/** Writes records as keepsake does, so that the next apply reads them back. */
function keep(file: string, content: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: 0o644 });
}

describe('records and action lines, byte for byte', () => {
  it('prints every kind of action line exactly as the spread record would be', async () => {
    const { root, configFile } = makeRoot(recordLayout(0.2));
    const { plan } = await preparePlan({ configFile, root });
    assert.ok(plan.actions.length > 200);
    const statuses: Array<Partial<ActionOutcome>> = [
      { status: 'done' },
      { status: 'done', notes: ['kept "beside" it: ünï\n'] },
      { status: 'done', notes: [] },
      { status: 'failed', error: { code: 'EACCES', message: 'no "way"', hint: 'chmod' } },
      { status: 'skipped', error: { code: 'EIO', message: 'utab\u0001' } },
      { status: 'undone', notes: ['one', 'two'] },
      { status: 'undo-failed', error: { code: 'EBUSY', message: 'busy' } },
    ];
    let compared = 0;
    for (const [index, action] of plan.actions.entries()) {
      // Each action twice: done, then with another status (its text is reused).
      for (const extra of [statuses[0]!, statuses[index % statuses.length]!]) {
        const o = { index, action, status: 'done', ...extra } as ActionOutcome;
        for (const name of ['apply.event', 'add.event'] as const) {
          assert.equal(actionLine(name, o), referenceLine(name, o));
          compared++;
        }
      }
    }
    assert.equal(compared, plan.actions.length * 4);
  });

  it('writes a first apply, then a keep-going rollback that carries it, as JSON.stringify would', async () => {
    const { root, configFile } = makeRoot(recordLayout());
    const first = await preparePlan({ configFile, root });
    assert.ok(first.plan.entries.length >= 1300, `${first.plan.entries.length} entries`);
    const now = new Date('2026-12-07T02:30:00.123Z');
    const one = applyRecorded(first, now);
    assert.ok(one.result.ok);
    assert.equal(one.lines.length, first.plan.actions.length);
    for (const [i, l] of one.lines.entries())
      assert.equal(l, referenceLine('apply.event', one.outcomes[i]!));
    // The summary last: it stands for the history too (see record-full-store.test.ts).
    assert.deepEqual(
      [...one.written.keys()],
      ['applied.json', '000001.json', '000001.setup', 'applied.json.sum'],
    );
    const history = one.written.get('000001.json')!.content;
    const g1 = referenceGeneration(first, undefined, 1, now, history);
    assert.equal(history, `${JSON.stringify(onDisk(g1))}\n`);
    assert.equal(
      one.written.get('applied.json')!.content,
      `${JSON.stringify(referenceLive(onDisk(g1)))}\n`,
    );
    assert.equal(
      one.written.get('000001.setup')!.content,
      `${setupOf(first.model)} ${Buffer.byteLength(history)}\n`,
    );
    assert.ok(Buffer.byteLength(history) > history.length, 'names JSON encodes in several bytes');
    assert.equal(one.written.get('applied.json.sum')!.content, `1 ${setupOf(first.model)} 0\n`);

    // The records are where keepsake keeps them: the next apply reads them back.
    keep(`${root}/run/keepsake/applied.json`, one.written.get('applied.json')!.content);
    keep(`${root}/run/keepsake/applied.json.sum`, one.written.get('applied.json.sum')!.content);
    const gens = `${root}${RECORD_STORE}/.keepsake/generations`;
    keep(`${gens}/000001.json`, history);
    keep(`${gens}/000001.setup`, one.written.get('000001.setup')!.content);
    fs.chmodSync(`${root}${RECORD_STORE}/.keepsake`, 0o755);

    // Fewer entries (the first hundred released), and one whose target holds data: skipped.
    const second = recordLayout(1, 100);
    fs.writeFileSync(configFile, second.config);
    const planted = second.directories[5]!;
    fs.mkdirSync(`${root}${planted}`, { recursive: true });
    fs.writeFileSync(`${root}${planted}/data`, 'here before keepsake\n');
    const prepared = await preparePlan({ configFile, root, keepGoing: true });
    assert.ok(prepared.previous, 'the live record was read back');
    assert.ok((prepared.plan.skipped?.length ?? 0) > 0, 'an entry is skipped');
    const later = new Date('2026-12-07T02:31:00Z');
    const two = applyRecorded(prepared, later, 1);
    assert.ok(two.result.ok);
    for (const [i, l] of two.lines.entries())
      assert.equal(l, referenceLine('apply.event', two.outcomes[i]!));
    const history2 = two.written.get('000002.json')?.content;
    assert.ok(history2, 'a second generation is recorded');
    const g2 = referenceGeneration(prepared, prepared.previous, 2, later, history2, 1);
    assert.ok(g2.skipped && g2.rollbackOf === 1);
    assert.ok(
      g2.actions.some((a) => !prepared.plan.actions.includes(a)),
      'the first apply set-up is carried',
    );
    assert.equal(history2, `${JSON.stringify(onDisk(g2))}\n`);
    assert.equal(
      two.written.get('applied.json')!.content,
      `${JSON.stringify(referenceLive(onDisk(g2)))}\n`,
    );
    assert.equal(
      two.written.get('000002.setup')!.content,
      `${setupOf(prepared.model)} ${Buffer.byteLength(history2)}\n`,
    );
  });

  it('omits what JSON.stringify omits, and keeps the order of every key', () => {
    const action = { kind: 'mkdir', path: '/a', uid: 0, gid: 0, mode: 0o755 } as const;
    const odd = {
      version: 1,
      number: 3,
      keepsake: VERSION,
      appliedAt: 'now',
      configFile: '/c',
      root: '/',
      // Array items with no JSON text are null, as JSON.stringify writes them.
      model: {
        configFile: '/c',
        entries: [{ id: 'e', x: undefined }, undefined, () => 1, null],
        stores: [],
        gone: undefined,
      },
      actions: [
        { ...action, side: 'target', entry: undefined },
        { ...action, side: 'store' },
      ],
      // A plan whose keys are not in their usual order, some missing, one undefined.
      plan: {
        root: '/',
        actions: [{ ...action, side: 'target' }],
        entries: [{ id: 'x' }],
        x: undefined,
      },
      rollbackOf: undefined,
      durationSeconds: 0.5,
    } as unknown as Generation;
    const records = generationRecords(odd);
    assert.equal(textOf(records.history()), `${JSON.stringify(odd)}\n`);
    assert.equal(textOf(records.live()), `${JSON.stringify(referenceLive(odd))}\n`);
  });
});
