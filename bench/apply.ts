// `npm run bench`, in three parts (each can run alone with --only):
// - apply: keepsake's apply of 1000 directories, 200 files and 100 symlinks into an empty
//   tmpfs root, against a baseline in the same run that makes the same layout with one
//   `mount --bind` process per bind entry (what per-entry scripts and units cost), against
//   the floor for a safe tool (floor.c, compiled here) plus `node -e 0`, and a no-op re-apply;
// - scaling: the first apply of 100, 5,000 and 20,000 entries as well, by keepsake and by the
//   floor, in µs per entry and as a fitted line (scaling.ts);
// - transition: from one configuration to another that differs in 10% of 1000 entries
//   (transition.ts);
// - add: adopting a directory of 10,000 small files into the store, on one file system and
//   across two (adopt.ts);
// - diff: `keepsake diff` over a tree of 500,000 entries against GNU find (diff.ts).
// Every measurement runs in a fresh private mount namespace (see child.ts); nothing is
// mounted in this process's namespace.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runAdd } from './adopt.js';
import { type Profiles, printTable, TARGET_NOOP_MS, TARGET_RATIO_OF_FLOOR } from './apply-table.js';
import { runDiff } from './diff.js';
import { buildFloor, floorTargets, TARGET_FIRST_RATIO, TARGET_NOOP_OVER_NODE_MS } from './floor.js';
import { DEFAULT_COUNTS, makeLayout } from './layout.js';
import type { PartContext, PartResult } from './parent.js';
import { median } from './proc.js';
import { summarizeProfile } from './profile.js';
import { runScaling } from './scaling.js';
import {
  type BaselineResult,
  type ChildResult,
  type ChildSpec,
  type CliResult,
  type FloorResult,
  type InProcessResult,
  layoutSpec,
  type Mode,
} from './spec.js';
import { runTransition } from './transition.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '../..');
const CLI = path.join(REPO, 'bin/keepsake.js');
const CHILD = path.join(here, 'child.js');

const PARTS = ['apply', 'scaling', 'transition', 'add', 'diff'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: node dist/bench/apply.js [options]

  --only PART[,PART]  run only these parts: apply (first apply and no-op re-apply of 1300
                      entries), scaling (first apply of 100 to 20,000 entries against the
                      floor), transition (A to B, 10% of 1000 entries changed), add
                      (adopting a directory of 10,000 files), diff (keepsake diff of a tree
                      of 500,000 entries against find); default: all five
  --runs N            measurements of each kind; the median is reported
                      (default 3, or KEEPSAKE_BENCH_RUNS)
  --backend NAME      auto (default: what keepsake loads), native or exec (mount(8))
  --json              print the results as JSON, one key per part
  --profile DIR       also profile one apply and no-op re-apply in-process and one no-op
                      re-apply by the CLI (V8 CPU profiles written to DIR), and list the
                      top functions
  --no-baseline       skip the baselines (no ratios)
  --cli FILE          the CLI script to time (default bin/keepsake.js)
  -h, --help

Exits 1 when a target of the apply part is missed: in-process work at least the floor's
ratio to the baseline divided by ${TARGET_RATIO_OF_FLOOR} (within ${TARGET_RATIO_OF_FLOOR}x of the floor's work); a no-op re-apply doing under ${TARGET_NOOP_MS} ms of work once
Node runs (in-process); the CLI's first apply within ${TARGET_FIRST_RATIO}x of the floor (floor.c) plus
\`node -e 0\`; its no-op re-apply within ${TARGET_NOOP_OVER_NODE_MS} ms of \`node -e 0\`. Exits 2 when a
measurement fails or its result is wrong.`;

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      runs: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
      profile: { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      cli: { type: 'string', default: CLI },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const runs = Number(values.runs ?? process.env.KEEPSAKE_BENCH_RUNS ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer`);
  const backend = values.backend ?? 'auto';
  if (!['auto', 'native', 'exec'].includes(backend)) {
    throw new Error(`--backend must be auto, native or exec, not '${backend}'`);
  }
  const only = (values.only ?? PARTS.join(',')).split(',').map((x) => x.trim());
  for (const p of only) {
    if (!(PARTS as readonly string[]).includes(p)) {
      throw new Error(`--only takes ${PARTS.join(', ')} (comma-separated), not '${p}'`);
    }
  }
  return {
    parts: PARTS.filter((p) => only.includes(p)),
    runs,
    backend,
    json: values.json ?? false,
    profile: values.profile,
    baseline: !values['no-baseline'],
    cli: path.resolve(values.cli ?? CLI),
  };
}

function namespaceProblem(): string | null {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (r.status === 0) return null;
  return `cannot create a private mount namespace (unshare -m): ${(r.error?.message ?? r.stderr).trim()}`;
}

function main(): number {
  const opts = options();
  const problem = namespaceProblem();
  if (problem) {
    process.stderr.write(`bench: ${problem}\nrun it as root (or where user namespaces allow it)\n`);
    return 2;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-bench-'));
  const env = { ...process.env };
  if (opts.backend === 'auto') delete env.KEEPSAKE_MOUNT_BACKEND;
  else env.KEEPSAKE_MOUNT_BACKEND = opts.backend;
  const built = buildFloor(REPO, work);
  const floorBin = 'bin' in built ? built.bin : null;
  if ('problem' in built)
    process.stderr.write(`bench: no floor to compare with: ${built.problem}\n`);
  const run: Record<Part, (ctx: PartContext) => PartResult> = {
    apply: (ctx) => measure(opts, makeLayout(DEFAULT_COUNTS), ctx.work, env, floorBin),
    scaling: (ctx) => runScaling(ctx, floorBin),
    transition: runTransition,
    add: runAdd,
    diff: runDiff,
  };
  const reports: Record<string, unknown> = {};
  let code = 0;
  try {
    for (const part of opts.parts) {
      const dir = path.join(work, part);
      fs.mkdirSync(dir);
      const r = run[part]({
        runs: opts.runs,
        baseline: opts.baseline,
        cli: opts.cli,
        env,
        work: dir,
        progress: (s: string) => process.stderr.write(s),
      });
      reports[part] = r.report;
      code = Math.max(code, r.code);
      if (!opts.json) process.stdout.write(`${part === opts.parts[0] ? '' : '\n'}${r.text}\n`);
    }
  } finally {
    // Only directories of this namespace: every mount was made (and died) in a child's.
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  return code;
}

function measure(
  opts: ReturnType<typeof options>,
  layout: ReturnType<typeof makeLayout>,
  work: string,
  env: NodeJS.ProcessEnv,
  floorBin: string | null,
): PartResult {
  const root = path.join(work, 'root');
  fs.mkdirSync(root);
  const configFile = path.join(work, 'keepsake.yaml');
  fs.writeFileSync(configFile, layout.config);
  const progress = (s: string) => process.stderr.write(s);

  const child = <T extends ChildResult>(mode: Mode, extra: Partial<ChildSpec> = {}): T => {
    const spec: ChildSpec = {
      ...layoutSpec(mode, layout, {
        root,
        configFile,
        cli: opts.cli,
        startupRuns: 6,
        ...(floorBin ? { floorBin } : {}),
      }),
      ...extra,
    };
    const specFile = path.join(work, `${mode}.json`);
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const r = spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', process.execPath, CHILD, specFile],
      { encoding: 'utf8', env, timeout: 600_000, maxBuffer: 64 << 20 },
    );
    const line = r.stdout?.trim().split('\n').at(-1) ?? '';
    if (r.status !== 0 || line === '') {
      throw new Error(
        `the ${mode} measurement failed (status ${r.status ?? r.signal}): ${r.error?.message ?? ''}${r.stderr}`,
      );
    }
    const result = JSON.parse(line) as T;
    const links = layout.entries.filter((e) => e.kind === 'symlink').length;
    if (result.verified.mounts !== layout.binds || result.verified.symlinks !== links) {
      throw new Error(
        `the ${mode} measurement left ${result.verified.mounts} mounts and ${result.verified.symlinks} links, not ${layout.binds} and ${links}`,
      );
    }
    return result;
  };

  const baselines: BaselineResult[] = [];
  const inProcess: InProcessResult[] = [];
  const clis: CliResult[] = [];
  const floors: FloorResult[] = [];
  for (let i = 1; i <= opts.runs; i++) {
    progress(`apply run ${i}/${opts.runs}:`);
    if (opts.baseline) {
      const b = child<BaselineResult>('baseline');
      baselines.push(b);
      progress(` baseline ${(b.totalMs / 1000).toFixed(1)} s,`);
    }
    if (floorBin) {
      const f = child<FloorResult>('floor');
      floors.push(f);
      progress(` floor ${f.ms.toFixed(1)} ms,`);
    }
    const p = child<InProcessResult>('in-process');
    inProcess.push(p);
    progress(` in-process ${p.firstMs.toFixed(1)} ms,`);
    const c = child<CliResult>('cli');
    clis.push(c);
    progress(` CLI ${c.firstMs.toFixed(0)} ms\n`);
  }
  const cliActions = clis[0]!.firstActions;
  if (cliActions !== inProcess[0]!.firstActions) {
    throw new Error(
      `the CLI planned ${cliActions} actions, the in-process apply ${inProcess[0]!.firstActions}`,
    );
  }

  let profile: Profiles | undefined;
  if (opts.profile) {
    const dir = path.resolve(opts.profile);
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, 'apply');
    progress('profiling one in-process apply and re-apply\n');
    child<InProcessResult>('profile', { profileFile: base });
    profile = {
      dir,
      first: summarizeProfile(`${base}.first.cpuprofile`, REPO),
      noop: summarizeProfile(`${base}.noop.cpuprofile`, REPO),
      cliNoop: summarizeProfile(`${base}.cli-noop.cpuprofile`, REPO),
    };
  }

  const startup = clis.map((c) => median(c.startupMs));
  const m = {
    baselineMs: opts.baseline ? median(baselines.map((b) => b.totalMs)) : null,
    baselineSpawnMs: opts.baseline ? median(baselines.map((b) => b.spawnMs)) : null,
    inProcessMs: median(inProcess.map((p) => p.firstMs)),
    inProcessPrepareMs: median(inProcess.map((p) => p.firstPrepareMs)),
    inProcessApplyMs: median(inProcess.map((p) => p.firstApplyMs)),
    cliMs: median(clis.map((c) => c.firstMs)),
    startupMs: median(startup),
    cliBeyondStartupMs: median(clis.map((c, i) => c.firstMs - startup[i]!)),
    noopInProcessMs: median(inProcess.map((p) => p.noopMs)),
    noopInProcessPrepareMs: median(inProcess.map((p) => p.noopPrepareMs)),
    againCliMs: median(clis.map((c) => c.againMs)),
    againBeyondStartupMs: median(clis.map((c, i) => c.againMs - startup[i]!)),
    noopCliMs: median(clis.map((c) => c.noopMs)),
    noopBeyondStartupMs: median(clis.map((c, i) => c.noopMs - startup[i]!)),
    settledCliMs: median(clis.map((c) => c.settledMs)),
    settledBeyondStartupMs: median(clis.map((c, i) => c.settledMs - startup[i]!)),
    elsewhereCliMs: median(clis.map((c) => c.elsewhereMs)),
    elsewhereBeyondStartupMs: median(clis.map((c, i) => c.elsewhereMs - startup[i]!)),
    bootCliMs: median(clis.map((c) => c.bootMs)),
    floorMs: floors.length > 0 ? median(floors.map((f) => f.ms)) : null,
  };
  const floor = floorTargets(m);
  const ratioWork = m.baselineMs === null ? null : m.baselineMs / m.inProcessMs;
  const ratioProcess = m.baselineMs === null ? null : m.baselineMs / m.cliMs;
  const ratioFloor = m.baselineMs === null || m.floorMs === null ? null : m.baselineMs / m.floorMs;
  const pass = {
    ratio:
      ratioWork === null || ratioFloor === null
        ? null
        : ratioWork >= ratioFloor / TARGET_RATIO_OF_FLOOR,
    // The work a no-op re-apply does once Node runs: config (cached model), observe, plan.
    noop: m.noopInProcessMs < TARGET_NOOP_MS,
    firstToFloor: floor.firstPass,
    againOverNode: floor.againPass,
    noopOverNode: floor.noopPass,
    settledOverNode: floor.settledPass,
    elsewhereOverNode: floor.elsewherePass,
  };
  const first = inProcess[0]!;
  const links = layout.entries.filter((e) => e.kind === 'symlink').length;
  const report = {
    layout: {
      ...DEFAULT_COUNTS,
      bindMounts: layout.binds,
      entries: first.entries,
      actions: first.firstActions,
      actionKinds: first.actionKinds,
    },
    backend: first.backend,
    ...(first.notice ? { backendNotice: first.notice } : {}),
    node: process.version,
    cli: path.relative(REPO, opts.cli) || opts.cli,
    cpus: os.cpus().length,
    runs: opts.runs,
    medians: m,
    ratios: {
      inProcessWork: ratioWork,
      floorWork: ratioFloor,
      wholeProcess: ratioProcess,
      firstToFloorAndNode: floor.firstRatio,
      bootToFloorAndNode: floor.bootRatio,
    },
    againOverNodeMs: floor.againOverNodeMs,
    noopOverNodeMs: floor.noopOverNodeMs,
    settledOverNodeMs: floor.settledOverNodeMs,
    elsewhereOverNodeMs: floor.elsewhereOverNodeMs,
    phases: {
      first: clis[0]!.firstPhases,
      again: clis[0]!.againPhases,
      noop: clis[0]!.noopPhases,
      settled: clis[0]!.settledPhases,
      elsewhere: clis[0]!.elsewherePhases,
      boot: clis[0]!.bootPhases,
    },
    targets: {
      ratio: ratioFloor === null ? null : ratioFloor / TARGET_RATIO_OF_FLOOR,
      noopWorkMs: TARGET_NOOP_MS,
      firstToFloorAndNode: TARGET_FIRST_RATIO,
      noopOverNodeMs: TARGET_NOOP_OVER_NODE_MS,
    },
    pass,
    raw: { baseline: baselines, floor: floors, inProcess, cli: clis },
    ...(profile ? { profile } : {}),
  };

  return {
    report,
    text: printTable(report, links, { baselines, floors, inProcess, clis, startup }, profile),
    code: Object.values(pass).includes(false) ? 1 : 0,
  };
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
