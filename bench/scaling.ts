// How the first apply grows with the number of entries: 100, 1,300 (the apply part's layout),
// 5,000 and 20,000 entries in the same proportions, each by keepsake's CLI and by the floor
// (floor.c), in µs per entry beyond start-up and as a least-squares line over all four sizes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitLine } from './floor.js';
import { type Counts, DEFAULT_COUNTS, makeLayout } from './layout.js';
import { type PartContext, type PartResult, runChild, Table } from './parent.js';
import { median } from './proc.js';
import { type ChildSpec, type CliResult, type FloorResult, layoutSpec } from './spec.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.js');
const SIZES = [100, 1300, 5000, 20000];

/** `n` entries split as the default layout splits its 1,300. */
function countsFor(n: number): Counts {
  const total = DEFAULT_COUNTS.directories + DEFAULT_COUNTS.files + DEFAULT_COUNTS.symlinks;
  const files = Math.round((n * DEFAULT_COUNTS.files) / total);
  const symlinks = Math.round((n * DEFAULT_COUNTS.symlinks) / total);
  return { directories: n - files - symlinks, files, symlinks };
}

interface Row {
  entries: number;
  startupMs: number;
  cliMs: number;
  noopMs: number;
  settledMs: number;
  floorMs: number | null;
  phases?: Record<string, number>;
}

export function runScaling(ctx: PartContext, floorBin: string | null): PartResult {
  const rows: Row[] = [];
  for (const n of SIZES) {
    const layout = makeLayout(countsFor(n));
    const work = path.join(ctx.work, String(n));
    fs.mkdirSync(work);
    const root = path.join(work, 'root');
    fs.mkdirSync(root);
    const configFile = path.join(work, 'keepsake.yaml');
    fs.writeFileSync(configFile, layout.config);
    const spec = (mode: 'cli' | 'floor'): ChildSpec =>
      layoutSpec(mode, layout, {
        root,
        configFile,
        cli: ctx.cli,
        startupRuns: 4,
        ...(floorBin ? { floorBin } : {}),
      });
    const clis: CliResult[] = [];
    const floors: FloorResult[] = [];
    // The largest size once: it takes most of the part's time and varies least.
    const runs = n >= 20000 ? 1 : ctx.runs;
    for (let i = 0; i < runs; i++) {
      ctx.progress(`scaling ${n} entries, run ${i + 1}/${runs}:`);
      const check = (r: CliResult | FloorResult) => {
        if (r.verified.mounts !== layout.binds) {
          throw new Error(
            `${r.mode} at ${n} entries left ${r.verified.mounts} mounts, not ${layout.binds}`,
          );
        }
        return r;
      };
      if (floorBin) {
        const f = runChild<FloorResult>(
          CHILD,
          spec('floor'),
          `${work}/floor.json`,
          ctx.env,
          'floor',
        );
        floors.push(check(f) as FloorResult);
        ctx.progress(` floor ${f.ms.toFixed(0)} ms,`);
      }
      const c = runChild<CliResult>(CHILD, spec('cli'), `${work}/cli.json`, ctx.env, 'CLI');
      clis.push(check(c) as CliResult);
      ctx.progress(` keepsake ${c.firstMs.toFixed(0)} ms\n`);
    }
    rows.push({
      entries: layout.entries.length,
      startupMs: median(clis.map((c) => median(c.startupMs))),
      cliMs: median(clis.map((c) => c.firstMs)),
      noopMs: median(clis.map((c) => c.noopMs)),
      settledMs: median(clis.map((c) => c.settledMs)),
      floorMs: floors.length > 0 ? median(floors.map((f) => f.ms)) : null,
      ...(clis[0]!.firstPhases ? { phases: clis[0]!.firstPhases } : {}),
    });
    fs.rmSync(work, { recursive: true, force: true });
  }
  const keepsakeLine = fitLine(rows.map((r) => [r.entries, r.cliMs - r.startupMs]));
  const floorLine = rows.every((r) => r.floorMs !== null)
    ? fitLine(rows.map((r) => [r.entries, r.floorMs!]))
    : null;

  const t = new Table();
  t.text(
    'scaling: first apply by entries (same proportions as the apply part), whole processes',
    '',
    `  ${'entries'.padStart(8)} ${'keepsake'.padStart(10)} ${'-node -e 0'.padStart(11)} ${'µs/entry'.padStart(9)} ${'no-op'.padStart(8)} ${'settled'.padStart(9)} ${'floor'.padStart(9)} ${'µs/entry'.padStart(9)}`,
  );
  const f = (x: number, w: number, d = 0) => x.toFixed(d).padStart(w);
  for (const r of rows) {
    const beyond = r.cliMs - r.startupMs;
    t.text(
      `  ${f(r.entries, 8)} ${f(r.cliMs, 7)} ms ${f(beyond, 8)} ms ${f((beyond * 1000) / r.entries, 9)} ${f(r.noopMs, 5)} ms ${f(r.settledMs, 6)} ms ${r.floorMs === null ? '        -' : `${f(r.floorMs, 6)} ms`} ${r.floorMs === null ? '        -' : f((r.floorMs * 1000) / r.entries, 9)}`,
    );
  }
  t.text(
    '',
    `  fitted slope: keepsake ${(keepsakeLine.slope * 1000).toFixed(1)} µs per entry (+${keepsakeLine.intercept.toFixed(0)} ms)${floorLine ? `, floor ${(floorLine.slope * 1000).toFixed(1)} µs per entry (+${floorLine.intercept.toFixed(0)} ms)` : ''}`,
  );
  for (const r of rows) {
    if (!r.phases) continue;
    t.text(
      `  phases at ${r.entries}: ${Object.entries(r.phases)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')} ms`,
    );
  }
  return {
    report: {
      rows,
      slopeUsPerEntry: {
        keepsake: keepsakeLine.slope * 1000,
        floor: floorLine ? floorLine.slope * 1000 : null,
      },
    },
    text: t.lines.join('\n'),
    code: 0,
  };
}
