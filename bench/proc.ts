// Helpers shared by the measurement children: running processes, timing the CLI, creating
// owned directories, and reading the mount table.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/** Run a command that must succeed. */
export function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
}

/** Wall time of one process that must succeed, its output discarded. */
export function spawnTimed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return ms;
}

/**
 * Wall time of one node process. Its stdout goes to a file: the CLI ends with process.exit(),
 * which can drop what is still queued for a pipe, and the first apply prints a line per action.
 */
export function timed(
  args: string[],
  outFile: string,
  env: Record<string, string> = {},
): { ms: number; stdout: string; stderr: string } {
  const out = fs.openSync(outFile, 'w');
  const t0 = performance.now();
  let r: ReturnType<typeof spawnSync>;
  try {
    r = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', out, 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
  } finally {
    fs.closeSync(out);
  }
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    const stdout = fs.readFileSync(outFile, 'utf8').slice(-2000);
    throw new Error(
      `node ${args.join(' ')} exited ${r.status}: ${r.error?.message ?? r.stderr}${stdout}`,
    );
  }
  return { ms, stdout: fs.readFileSync(outFile, 'utf8'), stderr: String(r.stderr) };
}

/** The last line of `apply --json`: the summary. */
export interface ApplySummary {
  ok: boolean;
  actions: number;
  adopted?: { from: string; to: string; how: string; files: number; bytes: number }[];
}

export function summaryOf(stdout: string): ApplySummary {
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Partial<ApplySummary>;
  if (summary.ok !== true || typeof summary.actions !== 'number')
    throw new Error(`unexpected output: ${stdout.slice(-500)}`);
  return summary as ApplySummary;
}

export const actionsOf = (stdout: string): number => summaryOf(stdout).actions;

/** mkdir -p that gives every directory it creates the owner and mode. */
export function mkdirp(dir: string, uid: number, gid: number, mode = 0o755) {
  const first = fs.mkdirSync(dir, { recursive: true, mode });
  if (first === undefined) return;
  for (let d = dir; d.length >= first.length; d = path.dirname(d)) {
    fs.chmodSync(d, mode);
    if (uid !== 0 || gid !== 0) fs.chownSync(d, uid, gid);
  }
}

export interface Owned {
  uid: number;
  gid: number;
  home: boolean;
}

/** Home entries' parents in the home belong to the user; everything above it to root. */
export function mkdirOwned(dir: string, e: Owned, at: (p: string) => string, home: string) {
  if (e.home && !fs.existsSync(at(home))) {
    mkdirp(path.dirname(at(home)), 0, 0);
    mkdirp(at(home), e.uid, e.gid);
  }
  mkdirp(dir, e.home ? e.uid : 0, e.home ? e.gid : 0);
}

export interface MountLine {
  /** major:minor of the file system. */
  dev: string;
  /** The directory of the file system that is mounted (a bind's source inside it). */
  fsRoot: string;
  point: string;
  fsType: string;
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes. */
const unescapeOctal = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function mountTable(): MountLine[] {
  const lines: MountLine[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const dash = f.indexOf('-');
    lines.push({
      dev: f[2]!,
      fsRoot: unescapeOctal(f[3]!),
      point: unescapeOctal(f[4]!),
      fsType: f[dash + 1] ?? '',
    });
  }
  return lines;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Throws unless an in-process apply went through; returns how many actions of each kind. */
export function checkApplied(
  plan: { problems: unknown[]; actions: Array<{ kind: string }> },
  result: { ok: boolean; outcomes: Array<{ status: string }> },
): Record<string, number> {
  if (plan.problems.length > 0) {
    throw new Error(`the plan has problems: ${JSON.stringify(plan.problems.slice(0, 3))}`);
  }
  if (!result.ok) {
    const failed = result.outcomes.find((o) => o.status === 'failed');
    throw new Error(`apply failed: ${JSON.stringify(failed)}`);
  }
  const kinds: Record<string, number> = {};
  for (const a of plan.actions) kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
  return kinds;
}
