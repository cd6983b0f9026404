// The floor program (floor.c), compiled by the benchmark for this machine, and the targets
// keepsake's whole-process times are held to against it: a first apply within 1.5 times what
// the floor and `node -e 0` take together, and a no-op re-apply within 35 ms of `node -e 0`.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const TARGET_FIRST_RATIO = 1.5;
export const TARGET_NOOP_OVER_NODE_MS = 35;

/** Compile bench/floor.c with `cc -O2` into `dir`: the binary's path, or why not. */
export function buildFloor(repo: string, dir: string): { bin: string } | { problem: string } {
  const bin = path.join(dir, 'floor');
  const src = path.join(repo, 'bench/floor.c');
  const r = spawnSync('cc', ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (r.status === 0) return { bin };
  return { problem: `cc -O2 ${src}: ${(r.error?.message ?? r.stderr).trim()}` };
}

export interface FloorTargets {
  /** keepsake's first apply / (floor + node -e 0), whole processes. */
  firstRatio: number | null;
  firstPass: boolean | null;
  /** The same for the next boot's apply (the store kept, the root empty): informative. */
  bootRatio: number | null;
  /** The re-apply right after the first apply minus node -e 0. */
  againOverNodeMs: number;
  againPass: boolean;
  /** A no-op re-apply that plans (no settled record) minus node -e 0. */
  noopOverNodeMs: number;
  noopPass: boolean;
  /** The re-apply after it (answered from the settled record) minus node -e 0. */
  settledOverNodeMs: number;
  settledPass: boolean;
  /** The re-apply after a mount elsewhere minus node -e 0. */
  elsewhereOverNodeMs: number;
  elsewherePass: boolean;
}

export function floorTargets(m: {
  cliMs: number;
  floorMs: number | null;
  startupMs: number;
  /** Each re-apply beyond node -e 0: the median of each run's difference (as printed). */
  againBeyondStartupMs: number;
  noopBeyondStartupMs: number;
  settledBeyondStartupMs: number;
  elsewhereBeyondStartupMs: number;
  bootCliMs: number;
}): FloorTargets {
  const firstRatio = m.floorMs === null ? null : m.cliMs / (m.floorMs + m.startupMs);
  const bootRatio = m.floorMs === null ? null : m.bootCliMs / (m.floorMs + m.startupMs);
  const againOverNodeMs = m.againBeyondStartupMs;
  const noopOverNodeMs = m.noopBeyondStartupMs;
  const settledOverNodeMs = m.settledBeyondStartupMs;
  return {
    firstRatio,
    firstPass: firstRatio === null ? null : firstRatio <= TARGET_FIRST_RATIO,
    bootRatio,
    againOverNodeMs,
    againPass: againOverNodeMs <= TARGET_NOOP_OVER_NODE_MS,
    noopOverNodeMs,
    noopPass: noopOverNodeMs <= TARGET_NOOP_OVER_NODE_MS,
    settledOverNodeMs,
    settledPass: settledOverNodeMs <= TARGET_NOOP_OVER_NODE_MS,
    elsewhereOverNodeMs: m.elsewhereBeyondStartupMs,
    elsewherePass: m.elsewhereBeyondStartupMs <= TARGET_NOOP_OVER_NODE_MS,
  };
}

/** Least-squares line through (n, y): the slope is the cost of one more entry. */
export function fitLine(points: Array<[number, number]>): { slope: number; intercept: number } {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** A phases record as one line: `config 12.3, observe 4.5, ...`. */
export function phaseLine(p: Record<string, number> | undefined): string {
  if (!p) return '(not reported)';
  return Object.entries(p)
    .map(([k, v]) => `${k} ${v >= 100 ? v.toFixed(0) : v.toFixed(1)}`)
    .join(', ');
}
