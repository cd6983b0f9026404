// One run of the add benchmark, inside a private mount namespace started by the benchmark's
// parent: a root with a store on the same file system or on another one, a directory of
// 10,000 small files at /srv/data, moved into /persist by keepsake and by the baselines in
// turn, each checked afterwards. Prints one JSON line.

import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { checkTree, makeTree, relPath, STORE, TARGET, TREE } from './adopt-tree.js';
import { type ApplySummary, mountTable, run, spawnTimed, summaryOf, timed } from './proc.js';

export type FsKind = 'same' | 'across';
export type AdoptMethod = 'keepsake' | 'cp' | 'mv';
export type AdoptCommand = 'add' | 'apply-adopt';

export interface AdoptSpec {
  fs: FsKind;
  /** Host directory where the root is mounted in the child's namespace. */
  root: string;
  /**
   * Same file system: the host directory (not on a tmpfs) bound as the root. The tree stays
   * in it from one run to the next.
   */
  disk?: string;
  /** Host directory for a non-recursive bind of the root: what lies under its mounts. */
  peek: string;
  configFile: string;
  cli: string;
  command: AdoptCommand;
  order: AdoptMethod[];
  passwd: string;
  group: string;
}

export interface AdoptMeasurement {
  method: AdoptMethod;
  ms: number;
  cpMs?: number;
  rmMs?: number;
  /** keepsake: whether the files kept their inodes (renamed) or are new ones (copied). */
  how?: 'rename' | 'copy';
  /** Files checked in the store (and, for keepsake, through the mount at the target). */
  files: number;
  sampled: number;
}

export interface AdoptResult {
  fs: FsKind;
  rootFsType: string;
  storeFsType: string;
  makeMs: number[];
  startupMs: number[];
  measurements: AdoptMeasurement[];
}

function setUp(spec: AdoptSpec): { rootFsType: string; storeFsType: string } {
  const R = spec.root;
  if (spec.fs === 'same') {
    run('mount', ['-n', '--bind', spec.disk!, R]);
    fs.mkdirSync(R + STORE, { recursive: true });
  } else {
    run('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'bench-root', R]);
    fs.mkdirSync(R + STORE);
    run('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'bench-persist', R + STORE]);
  }
  fs.mkdirSync(`${R}/etc`, { recursive: true });
  fs.mkdirSync(`${R}/run`, { recursive: true });
  fs.writeFileSync(`${R}/etc/passwd`, spec.passwd);
  fs.writeFileSync(`${R}/etc/group`, spec.group);
  run('mount', ['-n', '--bind', R, spec.peek]);
  const table = mountTable();
  const typeAt = (p: string) => table.filter((m) => m.point === p).at(-1)?.fsType ?? '?';
  return {
    rootFsType: typeAt(R),
    storeFsType: spec.fs === 'same' ? typeAt(R) : typeAt(R + STORE),
  };
}

/**
 * Put a whole tree at the target with nothing of keepsake's state left. Across file systems it
 * is made afresh. On one file system (a disk) the tree made by the first run is renamed back
 * from the store after each measurement, which leaves it as it was (all checked) and spares
 * writing and deleting 10,000 files on the disk every time; returns how long making took.
 */
function prepare(spec: AdoptSpec): number | null {
  const R = spec.root;
  const from = R + TARGET;
  const to = R + STORE + TARGET;
  for (const p of [`${R}/run/keepsake`, `${R}${STORE}/.keepsake`]) {
    fs.rmSync(p, { recursive: true, force: true });
  }
  if (spec.fs === 'same') {
    if (fs.existsSync(to)) {
      // keepsake leaves the target an empty directory; the baselines leave nothing.
      if (fs.existsSync(from)) fs.rmdirSync(from);
      fs.renameSync(to, from);
    }
    if (fs.existsSync(from)) {
      checkTree(from);
      return null;
    }
  } else {
    for (const p of [`${R}/srv`, `${R}${STORE}/srv`])
      fs.rmSync(p, { recursive: true, force: true });
  }
  const t0 = performance.now();
  makeTree(from);
  return performance.now() - t0;
}

const configText = (declared: boolean) =>
  declared
    ? `persistence:\n  ${STORE}:\n    directories:\n      - ${TARGET}\n`
    : `persistence:\n  ${STORE}:\n    directories: []\n`;

function keepsake(spec: AdoptSpec): Omit<AdoptMeasurement, 'files' | 'sampled'> {
  const R = spec.root;
  const ino = fs.statSync(`${R}${TARGET}/${relPath(0)}`).ino;
  fs.writeFileSync(spec.configFile, configText(spec.command === 'apply-adopt'));
  const common = ['--root', R, '--config', spec.configFile];
  const args =
    spec.command === 'add'
      ? [spec.cli, 'add', TARGET, '--store', STORE, ...common]
      : [spec.cli, 'apply', '--adopt', ...common];
  const t = timed([...args, '--json'], `${R}.out`);
  // The last line of either command's --json output: ok, and what was adopted.
  const last = JSON.parse(t.stdout.trim().split('\n').at(-1) ?? '{}') as Partial<ApplySummary>;
  const adopted = last.adopted ?? [];
  if (last.ok !== true || adopted.length !== 1 || adopted[0]!.files !== TREE.files) {
    throw new Error(`keepsake adopted ${JSON.stringify(adopted)}, not ${TREE.files} files`);
  }
  // The configuration declares it now (add wrote it): the next apply has nothing to do.
  const following = summaryOf(timed([spec.cli, 'apply', ...common, '--json'], `${R}.out`).stdout);
  if (following.actions !== 0) {
    throw new Error(`the apply after keepsake's move planned ${following.actions} actions, not 0`);
  }
  const moved = fs.statSync(`${R}${STORE}${TARGET}/${relPath(0)}`).ino;
  return { method: 'keepsake', ms: t.ms, how: moved === ino ? 'rename' : 'copy' };
}

function measure(spec: AdoptSpec, method: AdoptMethod): AdoptMeasurement {
  const R = spec.root;
  const from = R + TARGET;
  const to = R + STORE + TARGET;
  let m: Omit<AdoptMeasurement, 'files' | 'sampled'>;
  if (method === 'keepsake') {
    m = keepsake(spec);
  } else {
    fs.mkdirSync(`${R}${STORE}/srv`, { recursive: true });
    if (method === 'mv') {
      m = { method, ms: spawnTimed('mv', ['--no-target-directory', from, to]) };
    } else {
      const cpMs = spawnTimed('cp', ['-a', '--no-target-directory', from, to]);
      const rmMs = spawnTimed('rm', ['-rf', from]);
      m = { method, ms: cpMs + rmMs, cpMs, rmMs };
    }
  }
  const checked = checkTree(to);
  const under = `${spec.peek}${TARGET}`;
  if (method === 'keepsake') {
    // The data shows at the target through the bind mount, and nothing is left beneath it.
    if (!mountTable().some((x) => x.point === from)) throw new Error(`${from} is not mounted`);
    checkTree(from);
    if (fs.readdirSync(under).length !== 0) throw new Error(`${TARGET} still holds data`);
    run('umount', [from]);
  } else if (fs.existsSync(under)) {
    throw new Error(`${method}: ${TARGET} is still there`);
  }
  return { ...m, ...checked };
}

function main(spec: AdoptSpec): AdoptResult {
  const types = setUp(spec);
  const R = spec.root;
  const startupMs = [timed(['-e', '0'], `${R}.out`).ms];
  const makeMs: number[] = [];
  const measurements: AdoptMeasurement[] = [];
  for (const method of spec.order) {
    const made = prepare(spec);
    if (made !== null) makeMs.push(made);
    // What was just written goes to the disk now, not during the measurement.
    run('sync', ['-f', R]);
    measurements.push(measure(spec, method));
  }
  if (spec.fs === 'same') prepare(spec);
  startupMs.push(timed(['-e', '0'], `${R}.out`).ms);
  return { fs: spec.fs, ...types, makeMs, startupMs, measurements };
}

const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as AdoptSpec;
process.stdout.write(`${JSON.stringify(main(spec))}\n`);
