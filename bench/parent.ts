// What the parts of the benchmark share on the parent's side: starting a measurement child in
// a private mount namespace of its own, and laying out the tables.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface PartContext {
  runs: number;
  baseline: boolean;
  /** The CLI script to time. */
  cli: string;
  /** The environment of every child (the mount backend is chosen here). */
  env: NodeJS.ProcessEnv;
  /** A scratch directory of this part's own. */
  work: string;
  progress: (s: string) => void;
}

/** What a part hands back: its report for --json, its table, and its exit code. */
export interface PartResult {
  report: unknown;
  text: string;
  code: number;
}

/**
 * Run `script` with `spec` in `unshare -m --propagation private`: everything it mounts
 * disappears with its namespace. Its last line of output is its JSON result.
 */
export function runChild<T>(
  script: string,
  spec: object,
  specFile: string,
  env: NodeJS.ProcessEnv,
  what: string,
): T {
  fs.writeFileSync(specFile, JSON.stringify(spec));
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', process.execPath, script, specFile],
    { encoding: 'utf8', env, timeout: 600_000, maxBuffer: 64 << 20 },
  );
  const line = r.stdout?.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || line === '') {
    throw new Error(
      `the ${what} measurement failed (status ${r.status ?? r.signal}): ${r.error?.message ?? ''}${r.stderr}`,
    );
  }
  return JSON.parse(line) as T;
}

export const ms = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1);

/** A table of named times: the median, every run, and a note. */
export class Table {
  readonly lines: string[] = [];

  row(name: string, value: number | null | undefined, runs: number[] = [], note = '') {
    const all = runs.length > 1 ? `[${runs.map(ms).join(', ')}]` : '';
    this.lines.push(
      `  ${name.padEnd(44)}${`${ms(value)} ms`.padStart(12)}  ${all.padEnd(26)}${note}`.trimEnd(),
    );
  }

  text(...lines: string[]) {
    this.lines.push(...lines);
  }
}

export const ratio = (x: number | null) =>
  x === null ? '-' : x >= 10 ? `${x.toFixed(0)}x` : `${x.toFixed(2)}x`;
