// The transition part of `npm run bench`: from configuration A (1000 entries) to B, which
// differs in 10% of them, applied over A in one namespace; by the CLI, in-process, and by a
// baseline that takes down and sets up each changed entry with a process of its own.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PartContext, type PartResult, ratio, runChild, Table } from './parent.js';
import { median } from './proc.js';
import type { TransitionMode, TransitionResult, TransitionSpec } from './transition-child.js';
import { CHANGES, diffOf, makeTransition, SECOND_STORE } from './transition-layout.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'transition-child.js');

export function runTransition(ctx: PartContext): PartResult {
  const layout = makeTransition();
  const root = path.join(ctx.work, 'root');
  fs.mkdirSync(root);
  const configFile = path.join(ctx.work, 'keepsake.yaml');
  const child = (mode: TransitionMode): TransitionResult => {
    const spec: TransitionSpec = { mode, root, configFile, cli: ctx.cli, layout };
    return runChild<TransitionResult>(
      CHILD,
      spec,
      path.join(ctx.work, `${mode}.json`),
      ctx.env,
      `transition ${mode}`,
    );
  };

  const baselines: TransitionResult[] = [];
  const inProcess: TransitionResult[] = [];
  const clis: TransitionResult[] = [];
  for (let i = 1; i <= ctx.runs; i++) {
    ctx.progress(`transition run ${i}/${ctx.runs}:`);
    if (ctx.baseline) {
      const b = child('baseline');
      baselines.push(b);
      ctx.progress(` baseline ${b.ms.toFixed(0)} ms,`);
    }
    const p = child('in-process');
    inProcess.push(p);
    ctx.progress(` in-process ${p.ms.toFixed(1)} ms,`);
    const c = child('cli');
    clis.push(c);
    ctx.progress(` CLI ${c.ms.toFixed(0)} ms\n`);
  }
  if (clis[0]!.actions !== inProcess[0]!.actions) {
    throw new Error(
      `the CLI planned ${clis[0]!.actions} actions for B, the in-process apply ${inProcess[0]!.actions}`,
    );
  }

  const d = diffOf(layout.a, layout.b);
  const startup = clis.map((c) => median(c.startupMs ?? []));
  const m = {
    baselineMs: ctx.baseline ? median(baselines.map((b) => b.ms)) : null,
    baselineSpawnMs: ctx.baseline ? median(baselines.map((b) => b.spawnMs ?? 0)) : null,
    inProcessMs: median(inProcess.map((p) => p.ms)),
    inProcessPrepareMs: median(inProcess.map((p) => p.prepareMs ?? 0)),
    inProcessApplyMs: median(inProcess.map((p) => p.applyMs ?? 0)),
    cliMs: median(clis.map((c) => c.ms)),
    startupMs: median(startup),
    cliBeyondStartupMs: median(clis.map((c, i) => c.ms - startup[i]!)),
    applyACliMs: median(clis.map((c) => c.applyAMs)),
  };
  const first = inProcess[0]!;
  const verified = first.verified;
  const report = {
    layout: {
      entriesA: layout.a.length,
      entriesB: layout.b.length,
      changes: CHANGES,
      secondStore: SECOND_STORE,
      bindsB: verified.binds,
      linksB: verified.links,
      applyAActions: first.applyAActions,
      actions: first.actions,
      actionKinds: first.actionKinds,
      followingActions: clis[0]!.followingActions,
    },
    backend: first.backend,
    runs: ctx.runs,
    medians: m,
    ratios: {
      inProcessWork: m.baselineMs === null ? null : m.baselineMs / m.inProcessMs,
      wholeProcess: m.baselineMs === null ? null : m.baselineMs / m.cliMs,
    },
    baselineProcesses: baselines[0]?.spawns ?? null,
    raw: { baseline: baselines, inProcess, cli: clis },
  };

  const t = new Table();
  const kinds = Object.entries(first.actionKinds ?? {})
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  t.text(
    `keepsake transition: configuration A (${layout.a.length} entries) applied, then B written over the same file and applied`,
    `  B differs in ${d.removed.length + d.added.length + d.moved.length + d.switched.length} entries: ${d.removed.length} removed, ${d.added.length} added, ${d.moved.length} moved from /persist to ${SECOND_STORE}, ${d.switched.length} switched to method: symlink`,
    `  keepsake plans ${first.actions} actions for B (${kinds}); A took ${first.applyAActions}`,
    `  mount backend: ${first.backend}; median of ${ctx.runs} run${ctx.runs > 1 ? 's' : ''}, each in a fresh namespace with A applied by the CLI first`,
    '',
  );
  if (baselines.length > 0) {
    const s = baselines[0]!.spawns!;
    t.row(
      'baseline: one process per step',
      m.baselineMs,
      baselines.map((b) => b.ms),
    );
    t.row('  of which waiting for umount/mount(8)', m.baselineSpawnMs);
    t.text(
      `    (${s.umount} umount + ${s.mount} mount --bind processes; links, directories and placeholders made in-process)`,
    );
  }
  t.row(
    'keepsake transition, in-process work',
    m.inProcessMs,
    inProcess.map((p) => p.ms),
  );
  t.row('  config + observe + plan (preparePlan)', m.inProcessPrepareMs);
  t.row('  execute + record (applyPlan)', m.inProcessApplyMs);
  t.row(
    'keepsake transition, CLI process',
    m.cliMs,
    clis.map((c) => c.ms),
  );
  t.row('node -e 0 (start-up)', m.startupMs, startup);
  t.row('  CLI transition beyond start-up', m.cliBeyondStartupMs);
  t.row(
    'for reference: first apply of A, CLI process',
    m.applyACliMs,
    clis.map((c) => c.applyAMs),
  );
  t.text('');
  if (baselines.length > 0) {
    t.text(
      `  ratio baseline / keepsake in-process work   ${ratio(report.ratios.inProcessWork).padStart(8)}`,
      `  ratio baseline / keepsake CLI process       ${ratio(report.ratios.wholeProcess).padStart(8)}`,
    );
  }
  t.text(
    `  checked after every run: ${verified.binds} bind entries each mounted once from its own store, ${verified.links} links to the store,`,
    `  none of the ${d.removed.length} removed entries mounted or linked, no other mount under the root; keepsake's runs: the next apply plans 0 actions`,
  );
  return { report, text: t.lines.join('\n'), code: 0 };
}
