// Runs inside the booted container (copied there as a self-contained `.mjs`: node: imports
// only). It records what the booted system looks like, makes the writes a test asks for, runs
// commands, and leaves one JSON report in the results directory the host reads afterwards.
// Judging is left to the host, where a failed assertion can show the console log.
//
//   node probe.mjs STEPS.json REPORT.json

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the host asks for, in this order: look, write, run. */
export interface ProbeSteps {
  inspect?: string[];
  /** path → content; missing parents are created (an undeclared path too). */
  write?: Record<string, string>;
  /** name → argv */
  run?: Record<string, string[]>;
}

export interface MountRecord {
  target: string;
  /** The mounted path inside its file system (mountinfo's root field). */
  root: string;
  fstype: string;
}

export interface PathRecord {
  type: 'missing' | 'file' | 'directory' | 'symlink' | 'other';
  uid?: number;
  gid?: number;
  /** Permission bits, octal. */
  mode?: string;
  link?: string;
  content?: string;
  names?: string[];
}

export interface RunRecord {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface ProbeReport {
  mounts: MountRecord[];
  paths: Record<string, PathRecord>;
  writes: Record<string, string | null>;
  runs: Record<string, RunRecord>;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const decodeOctal = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMountinfo(text: string): MountRecord[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const f = left.split(' ');
      return {
        root: decodeOctal(f[3] ?? ''),
        target: decodeOctal(f[4] ?? ''),
        fstype: right.split(' ')[0] ?? '',
      };
    });
}

function inspect(p: string): PathRecord {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return { type: 'missing' };
  }
  const base = { uid: st.uid, gid: st.gid, mode: (st.mode & 0o7777).toString(8) };
  if (st.isSymbolicLink()) return { type: 'symlink', ...base, link: fs.readlinkSync(p) };
  if (st.isDirectory()) return { type: 'directory', ...base, names: fs.readdirSync(p).sort() };
  if (st.isFile()) return { type: 'file', ...base, content: fs.readFileSync(p, 'utf8') };
  return { type: 'other', ...base };
}

function write(p: string, content: string): string | null {
  try {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function run(argv: string[]): RunRecord {
  const [cmd = 'false', ...args] = argv;
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return {
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: r.error ? `${r.stderr ?? ''}${r.error.message}` : (r.stderr ?? ''),
  };
}

function main(stepsFile: string, reportFile: string): void {
  const steps = JSON.parse(fs.readFileSync(stepsFile, 'utf8')) as ProbeSteps;
  const report: ProbeReport = {
    mounts: parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')),
    paths: Object.fromEntries((steps.inspect ?? []).map((p) => [p, inspect(p)])),
    writes: Object.fromEntries(
      Object.entries(steps.write ?? {}).map(([p, content]) => [p, write(p, content)]),
    ),
    runs: Object.fromEntries(Object.entries(steps.run ?? {}).map(([n, argv]) => [n, run(argv)])),
  };
  fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
}

if (process.argv[1]?.endsWith('probe.mjs')) main(process.argv[2] ?? '', process.argv[3] ?? '');
