// The apply part's table: the medians of every kind of run, the targets and whether each is
// met, keepsake's phases, and (with --profile) where the time went.

import { phaseLine, TARGET_FIRST_RATIO, TARGET_NOOP_OVER_NODE_MS } from './floor.js';
import { DEFAULT_COUNTS } from './layout.js';
import type { FunctionTime, ProfileSummary } from './profile.js';
import type { BaselineResult, CliResult, FloorResult, InProcessResult } from './spec.js';

/**
 * keepsake against the baseline: at least the floor's own ratio to it divided by this, that
 * is, keepsake's in-process work within 1.5x of the floor's. (A fixed ratio, such as 100x,
 * says more about what a process costs on the machine than about keepsake: the floor itself
 * is about 21x here.)
 */
export const TARGET_RATIO_OF_FLOOR = TARGET_FIRST_RATIO;
export const TARGET_NOOP_MS = 50;

export type Profiles = {
  first: ProfileSummary;
  noop: ProfileSummary;
  cliNoop: ProfileSummary;
  dir: string;
};

export type Report = {
  layout: { bindMounts: number; actions: number; actionKinds: Record<string, number> };
  backend: string;
  backendNotice?: string;
  node: string;
  cli: string;
  cpus: number;
  runs: number;
  medians: Record<string, number | null>;
  ratios: {
    inProcessWork: number | null;
    /** The floor's: baseline / floor. */
    floorWork: number | null;
    wholeProcess: number | null;
    firstToFloorAndNode: number | null;
    bootToFloorAndNode: number | null;
  };
  againOverNodeMs: number;
  noopOverNodeMs: number;
  settledOverNodeMs: number;
  elsewhereOverNodeMs: number;
  phases: {
    first?: Record<string, number>;
    again?: Record<string, number>;
    noop?: Record<string, number>;
    settled?: Record<string, number>;
    elsewhere?: Record<string, number>;
    boot?: Record<string, number>;
  };
  pass: {
    ratio: boolean | null;
    noop: boolean;
    firstToFloor: boolean | null;
    againOverNode: boolean;
    noopOverNode: boolean;
    settledOverNode: boolean;
    elsewhereOverNode: boolean;
  };
};

/** The re-applies after the first apply, as CliResult and the medians name them. */
type ReapplyKey = 'again' | 'noop' | 'settled' | 'elsewhere';

export function printTable(
  r: Report,
  links: number,
  raw: {
    baselines: BaselineResult[];
    floors: FloorResult[];
    inProcess: InProcessResult[];
    clis: CliResult[];
    startup: number[];
  },
  profile?: Profiles,
): string {
  const out: string[] = [];
  const ms = (x: number | null | undefined) =>
    x === null || x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1);
  const all = (xs: number[]) => (xs.length > 1 ? `[${xs.map(ms).join(', ')}]` : '');
  const row = (name: string, value: number | null | undefined, runs: number[] = [], note = '') =>
    out.push(
      `  ${name.padEnd(44)}${`${ms(value)} ms`.padStart(12)}  ${all(runs).padEnd(26)}${note}`,
    );
  const m = r.medians;
  const d = DEFAULT_COUNTS;
  const kinds = Object.entries(r.layout.actionKinds)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  out.push(
    `keepsake apply: ${d.directories} directories + ${d.files} files + ${d.symlinks} symlinks into an empty tmpfs root`,
    `  ${r.layout.bindMounts} bind mounts; keepsake plans ${r.layout.actions} actions (${kinds})`,
    `  CLI: node ${r.cli}; mount backend: ${r.backend}${r.backendNotice ? ` (${r.backendNotice})` : ''}; node ${r.node}, ${r.cpus} CPUs; median of ${r.runs} run${r.runs > 1 ? 's' : ''}, each in a fresh namespace`,
    '',
  );
  if (raw.baselines.length > 0) {
    row(
      'baseline: one mount(8) process per bind',
      m.baselineMs,
      raw.baselines.map((b) => b.totalMs),
    );
    row('  of which waiting for mount(8)', m.baselineSpawnMs);
    out.push(
      `    (${raw.baselines[0]!.spawns} mount --bind processes; the ${links} links are made in-process with symlink(2), not counted as processes)`,
    );
  }
  if (raw.floors.length > 0) {
    row(
      'floor for a safe tool (floor.c), one process',
      m.floorMs,
      raw.floors.map((f) => f.ms),
    );
  }
  row(
    'keepsake first apply, in-process work',
    m.inProcessMs,
    raw.inProcess.map((p) => p.firstMs),
  );
  row('  config + observe + plan (preparePlan)', m.inProcessPrepareMs);
  row('  execute + record (applyPlan)', m.inProcessApplyMs);
  row(
    'keepsake first apply, CLI process',
    m.cliMs,
    raw.clis.map((c) => c.firstMs),
  );
  row('node -e 0 (start-up)', m.startupMs, raw.startup);
  row('  CLI first apply beyond start-up', m.cliBeyondStartupMs);
  row(
    'no-op re-apply, in-process work',
    m.noopInProcessMs,
    raw.inProcess.map((p) => p.noopMs),
    '0 actions',
  );
  /** A re-apply's whole process, and beyond start-up (each run against its own `node -e 0`). */
  const reapply = (label: string, beyond: string, key: ReapplyKey, note: string) => {
    row(
      label,
      m[`${key}CliMs`],
      raw.clis.map((c) => c[`${key}Ms`]),
      note,
    );
    row(
      `  ${beyond}`,
      m[`${key}BeyondStartupMs`],
      raw.clis.map((c, i) => c[`${key}Ms`] - raw.startup[i]!),
    );
  };
  reapply(
    're-apply right after it, CLI process',
    'right after, beyond start-up',
    'again',
    raw.clis.every((c) => c.againAnswered)
      ? 'from the settled record the first apply kept'
      : 'planned (this build keeps no record after acting)',
  );
  reapply(
    'no-op re-apply that plans, CLI process',
    'no-op CLI beyond start-up',
    'noop',
    '0 actions; the settled record removed first; each run: median of 5',
  );
  reapply(
    'settled re-apply, CLI process',
    'settled CLI beyond start-up',
    'settled',
    raw.clis.every((c) => c.settledAnswered)
      ? 'the ones after: from the settled record; median of 5'
      : 'the ones after: planned (this build keeps no settled record)',
  );
  reapply(
    'after a mount elsewhere, CLI process',
    'after a mount elsewhere, beyond start-up',
    'elsewhere',
    raw.clis.every((c) => c.elsewhereAnswered)
      ? 'a tmpfs mounted outside the root: from the settled record'
      : 'a tmpfs mounted outside the root: planned',
  );
  row(
    "next boot's apply (store kept, root empty)",
    m.bootCliMs,
    raw.clis.map((c) => c.bootMs),
    `${raw.clis[0]?.bootActions ?? 0} actions`,
  );
  out.push('');
  const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'PASS' : 'FAIL');
  const x = (v: number | null) => (v === null ? '-' : `${v.toFixed(0)}x`);
  out.push(
    `  ratio baseline / keepsake in-process work   ${x(r.ratios.inProcessWork).padStart(8)}   target >= ${r.ratios.floorWork === null ? '-' : `${(r.ratios.floorWork / TARGET_RATIO_OF_FLOOR).toFixed(0)}x (the floor's ${x(r.ratios.floorWork)} / ${TARGET_RATIO_OF_FLOOR})`}   ${verdict(r.pass.ratio)}`,
    `  ratio baseline / keepsake CLI process       ${x(r.ratios.wholeProcess).padStart(8)}`,
    `  no-op re-apply, keepsake's work             ${`${ms(m.noopInProcessMs)} ms`.padStart(8)}   target < ${TARGET_NOOP_MS} ms   ${verdict(r.pass.noop)}`,
    `  re-apply right after, beyond node -e 0      ${`${ms(m.againBeyondStartupMs)} ms`.padStart(8)}   target <= ${TARGET_NOOP_OVER_NODE_MS} ms   ${verdict(r.pass.againOverNode)}`,
    `  no-op that plans, CLI beyond node -e 0      ${`${ms(m.noopBeyondStartupMs)} ms`.padStart(8)}   target <= ${TARGET_NOOP_OVER_NODE_MS} ms   ${verdict(r.pass.noopOverNode)}`,
    `  settled re-apply, CLI beyond node -e 0      ${`${ms(m.settledBeyondStartupMs)} ms`.padStart(8)}   target <= ${TARGET_NOOP_OVER_NODE_MS} ms   ${verdict(r.pass.settledOverNode)}`,
    `  after a mount elsewhere, beyond node -e 0   ${`${ms(m.elsewhereBeyondStartupMs)} ms`.padStart(8)}   target <= ${TARGET_NOOP_OVER_NODE_MS} ms   ${verdict(r.pass.elsewhereOverNode)}`,
    `  CLI first apply / (floor + node -e 0)       ${(r.ratios.firstToFloorAndNode === null ? '-' : `${r.ratios.firstToFloorAndNode.toFixed(2)}x`).padStart(8)}   target <= ${TARGET_FIRST_RATIO}x   ${verdict(r.pass.firstToFloor)}`,
    `  next boot's apply / (floor + node -e 0)     ${(r.ratios.bootToFloorAndNode === null ? '-' : `${r.ratios.bootToFloorAndNode.toFixed(2)}x`).padStart(8)}   (the first apply's target, for comparison)`,
    '',
    `  phases (KEEPSAKE_PHASES=1, ms), first apply: ${phaseLine(r.phases.first)}`,
    `  phases (KEEPSAKE_PHASES=1, ms), right after: ${phaseLine(r.phases.again)}`,
    `  phases (KEEPSAKE_PHASES=1, ms), no-op plans: ${phaseLine(r.phases.noop)}`,
    `  phases (KEEPSAKE_PHASES=1, ms), settled:     ${phaseLine(r.phases.settled)}`,
    `  phases (KEEPSAKE_PHASES=1, ms), elsewhere:   ${phaseLine(r.phases.elsewhere)}`,
    `  phases (KEEPSAKE_PHASES=1, ms), next boot:   ${phaseLine(r.phases.boot)}`,
  );
  if (profile) {
    const list = (title: string, xs: FunctionTime[]) => {
      out.push('', `  ${title}`);
      for (const f of xs) {
        out.push(`    ${ms(f.ms).padStart(8)} ms  ${f.name.slice(0, 40).padEnd(40)} ${f.where}`);
      }
    };
    for (const [label, p] of [
      ['first apply', profile.first],
      ['no-op re-apply (in-process, after the first)', profile.noop],
      ['no-op re-apply (CLI process, whole)', profile.cliNoop],
    ] as const) {
      out.push('', `profile of one ${label}: ${ms(p.totalMs)} ms sampled, profiler on`);
      list('self time', p.self.slice(0, 12));
      list("total time, keepsake's functions", p.inclusive.slice(0, 12));
    }
    out.push('', `  profiles: ${profile.dir}/apply.{first,noop,cli-noop}.cpuprofile`);
  }
  return out.join('\n');
}
