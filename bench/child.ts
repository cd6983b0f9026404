// One measurement, run inside a private mount namespace started by the benchmark's parent
// (`unshare -m --propagation private`): it mounts a fresh tmpfs as the root and another as the
// store, writes the accounts and the stored files, measures, checks the result, and prints one
// JSON line. Everything it mounts disappears with its namespace.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyPlan, preparePlan } from '../src/apply/pipeline.js';
import { hooks } from '../src/hooks.js';
import { loadBinding } from '../src/system/binding.js';
import { loadMountBackend } from '../src/system/mount-backend.js';
import { nativeSteps } from '../src/system/native-steps.js';
import { createLiveSystem } from '../src/system/system.js';
import { actionsOf, checkApplied, mkdirOwned, run, spawnTimed, timed } from './proc.js';
import type {
  BaselineResult,
  ChildResult,
  ChildSpec,
  CliResult,
  FloorResult,
  InProcessResult,
  Phases,
  Verified,
} from './spec.js';

function setUp(spec: ChildSpec): (p: string) => string {
  const root = spec.root;
  run('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'bench-root', root]);
  fs.mkdirSync(`${root}/etc`);
  fs.mkdirSync(`${root}/run`); // a booted root has its /run, where keepsake caches the model
  fs.writeFileSync(`${root}/etc/passwd`, spec.passwd);
  fs.writeFileSync(`${root}/etc/group`, spec.group);
  fs.mkdirSync(root + spec.store, { recursive: true });
  run('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'bench-store', root + spec.store]);
  const at = (p: string) => root + p;
  // In the store, as a booted system keeps it (docs/boot.md): where the cached model is found.
  fs.copyFileSync(spec.configFile, configIn(spec));
  // The stored copies of the files exist, so that every file entry is a bind mount.
  const home = spec.home;
  for (const e of spec.entries) {
    if (e.kind !== 'file') continue;
    mkdirOwned(at(path.dirname(e.store)), e, (p) => at(spec.store + p), home);
    fs.writeFileSync(at(e.store), `kept: ${e.target}\n`, { mode: 0o644 });
    if (e.home) fs.chownSync(at(e.store), e.uid, e.gid);
  }
  return at;
}

/** The configuration as keepsake reads it: the copy in the store. */
function configIn(spec: ChildSpec): string {
  return `${spec.root}${spec.store}/keepsake.yaml`;
}

/** What the apply left: bind mounts under the root (the store's own mount aside), and links. */
function verify(spec: ChildSpec, at: (p: string) => string): Verified {
  const prefix = `${spec.root}/`;
  const store = at(spec.store);
  let mounts = 0;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const point = line.split(' ')[4];
    if (point?.startsWith(prefix) && point !== store) mounts++;
  }
  let symlinks = 0;
  for (const e of spec.entries) {
    if (e.kind === 'symlink' && fs.lstatSync(at(e.target)).isSymbolicLink()) symlinks++;
    if (e.kind === 'file' && fs.readFileSync(at(e.target), 'utf8') !== `kept: ${e.target}\n`) {
      throw new Error(`${e.target} does not show its stored content`);
    }
  }
  return { mounts, symlinks };
}

/**
 * What impermanence's scripts and per-entry units amount to: the directories created
 * in-process, then one `mount --bind` process per bind entry. Links are made with symlink(2)
 * in-process (no process each), so only bind entries count as spawns.
 */
function baseline(spec: ChildSpec, at: (p: string) => string): BaselineResult {
  const home = spec.home;
  let spawnMs = 0;
  let spawns = 0;
  let links = 0;
  const t0 = performance.now();
  for (const e of spec.entries) {
    const storeAt = (p: string) => at(spec.store + p);
    if (e.kind === 'file') {
      mkdirOwned(at(path.dirname(e.target)), e, at, home);
      fs.closeSync(fs.openSync(at(e.target), 'a', 0o644));
      if (e.home) fs.chownSync(at(e.target), e.uid, e.gid);
    } else {
      mkdirOwned(at(e.store), e, storeAt, home);
      if (e.kind === 'directory') mkdirOwned(at(e.target), e, at, home);
      else mkdirOwned(at(path.dirname(e.target)), e, at, home);
    }
    if (e.kind === 'symlink') {
      fs.symlinkSync(e.store, at(e.target));
      if (e.home) fs.lchownSync(at(e.target), e.uid, e.gid);
      links++;
      continue;
    }
    const s0 = performance.now();
    const r = spawnSync('mount', ['--bind', '-n', at(e.store), at(e.target)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    spawnMs += performance.now() - s0;
    spawns++;
    if (r.status !== 0) throw new Error(`mount --bind ${e.store} ${e.target}: ${r.stderr}`);
  }
  const totalMs = performance.now() - t0;
  return { mode: 'baseline', totalMs, spawnMs, spawns, links, verified: verify(spec, at) };
}

/** The floor program over the same entries, as one process (its list written beforehand). */
function floor(spec: ChildSpec, at: (p: string) => string): FloorResult {
  const list = `${spec.root}.floor`;
  const kind = { directory: 'd', file: 'f', symlink: 'l' } as const;
  fs.writeFileSync(
    list,
    spec.entries
      .map((e) => `${kind[e.kind]}\t${e.uid}\t${e.gid}\t${e.target}\t${e.store}\n`)
      .join(''),
  );
  const ms = spawnTimed(spec.floorBin!, [spec.root, list]);
  return { mode: 'floor', ms, verified: verify(spec, at) };
}

async function inProcess(spec: ChildSpec, at: (p: string) => string): Promise<InProcessResult> {
  const { backend, notice } = loadMountBackend();
  // As `keepsake apply` sets it up (system.ts's openLiveSystem), lock aside.
  const native = backend.name === 'native' && hooks().steps !== 'js';
  const sys = createLiveSystem(backend, null, native ? nativeSteps(loadBinding().binding) : null);
  const profiler = spec.mode === 'profile' ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  }
  const once = async (label: string) => {
    if (profiler) await profiler.post('Profiler.start');
    const t0 = performance.now();
    // As `keepsake apply` does: the validated model is cached for the next run.
    const prepared = await preparePlan({
      configFile: configIn(spec),
      root: spec.root,
      cacheModel: true,
    });
    const { plan } = prepared;
    const t1 = performance.now();
    const result = applyPlan(prepared, sys, () => {}, new Date());
    const t2 = performance.now();
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      fs.writeFileSync(`${spec.profileFile}.${label}.cpuprofile`, JSON.stringify(profile));
    }
    const kinds = checkApplied(plan, result);
    return {
      prepare: t1 - t0,
      apply: t2 - t1,
      actions: plan.actions.length,
      entries: plan.entries.length,
      kinds,
    };
  };
  const first = await once('first');
  const noop = await once('noop');
  if (noop.actions !== 0)
    throw new Error(
      `the re-apply planned ${noop.actions} actions, not 0: ${JSON.stringify(noop.kinds)}`,
    );
  if (profiler) {
    // The same no-op as a fresh CLI process sees it: cold code, module loading included.
    const name = `${path.basename(spec.profileFile!)}.cli-noop.cpuprofile`;
    const prof = [
      '--cpu-prof',
      '--cpu-prof-interval',
      '100',
      '--cpu-prof-dir',
      path.dirname(spec.profileFile!),
      '--cpu-prof-name',
      name,
    ];
    timed(
      [...prof, spec.cli, 'apply', '--root', spec.root, '--config', configIn(spec), '--json'],
      `${spec.root}.out`,
    );
  }
  return {
    mode: spec.mode === 'profile' ? 'profile' : 'in-process',
    backend: backend.name,
    ...(notice ? { notice } : {}),
    firstMs: first.prepare + first.apply,
    firstPrepareMs: first.prepare,
    firstApplyMs: first.apply,
    firstActions: first.actions,
    actionKinds: first.kinds,
    entries: first.entries,
    noopMs: noop.prepare + noop.apply,
    noopPrepareMs: noop.prepare,
    noopApplyMs: noop.apply,
    noopActions: noop.actions,
    verified: verify(spec, at),
  };
}

/** How many times each cheap re-apply (the no-op that plans, the settled one) is timed. */
const REAPPLY_RUNS = 5;

/** `times` runs of `once`, all saying the same; the one with the median time. */
function medianRun<T extends { ms: number; stdout: string }>(times: number, once: () => T): T {
  const runs: T[] = [];
  for (let i = 0; i < times; i++) runs.push(once());
  for (const r of runs) {
    if (r.stdout !== runs[0]!.stdout)
      throw new Error(`one re-apply said ${r.stdout}, another ${runs[0]!.stdout}`);
  }
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(times / 2)]!;
}

function cli(spec: ChildSpec, at: (p: string) => string): CliResult {
  // Next to the root mount point, outside the measured root.
  const outFile = `${spec.root}.out`;
  const startupMs: number[] = [];
  const half = Math.ceil(spec.startupRuns / 2);
  for (let i = 0; i < half; i++) startupMs.push(timed(['-e', '0'], outFile).ms);
  const apply = ['apply', '--root', spec.root, '--config', configIn(spec), '--json'];
  // Each run tells its phases: seven clock readings and one line at exit.
  const phases = { KEEPSAKE_PHASES: '1' };
  // A first apply finds no compiled code kept but the code cache made as keepsake was built
  // (as after an install with npm: bin/compile-cache.js); a boot finds the one the first apply
  // kept in the store (/run is empty at boot); the no-op re-apply finds the same.
  forgetCompiledCode();
  const first = timed([spec.cli, ...apply], outFile, phases);
  // Right after it: the first apply planned again once it had acted, and kept the settled
  // record of that plan (a build that does not, plans here).
  const again = timed([spec.cli, ...apply], outFile, phases);
  // One the record cannot answer (taken away, as any change to what it was made from does:
  // a mount anywhere, an edit): it plans, finds nothing to do, and keeps the record again.
  // These re-applies take about 100 ms, and one sample's noise is as large as the margin to
  // their target: each kind is timed REAPPLY_RUNS times in a row, and its median run kept.
  const noop = medianRun(REAPPLY_RUNS, () => {
    fs.rmSync(at('/run/keepsake/settled.json'), { force: true });
    return timed([spec.cli, ...apply], outFile, phases);
  });
  // Nothing changed since: the settled record answers.
  const settled = medianRun(REAPPLY_RUNS, () => timed([spec.cli, ...apply], outFile, phases));
  // A file system mounted elsewhere (a user's login, a container): the mount table differs,
  // but not in a line the plan depends on, so the record still answers.
  const elsewhere = `${spec.root}.elsewhere`;
  fs.mkdirSync(elsewhere, { recursive: true });
  run('mount', ['-n', '-t', 'tmpfs', 'bench-elsewhere', elsewhere]);
  const afterMount = timed([spec.cli, ...apply], outFile, phases);
  run('umount', ['-n', elsewhere]);
  const firstPhases = phasesOf(first.stderr);
  const againPhases = phasesOf(again.stderr);
  const noopPhases = phasesOf(noop.stderr);
  const settledPhases = phasesOf(settled.stderr);
  const elsewherePhases = phasesOf(afterMount.stderr);
  // A build of keepsake without the settled record plans again (it is then compared as such).
  const answered = (p: Phases | undefined) => p?.settled !== undefined && p.plan === undefined;
  const settledAnswered = answered(settledPhases);
  const againAnswered = answered(againPhases);
  const elsewhereAnswered = answered(elsewherePhases);
  for (const [what, r] of [
    ['settled', settled],
    ['right after the first', again],
    ['after a mount elsewhere', afterMount],
  ] as const) {
    if (r.stdout !== noop.stdout)
      throw new Error(`the re-apply ${what} said ${r.stdout}, not ${noop.stdout}`);
  }
  // The next boot: an empty root again, the store as the last boot left it (its cached model
  // and its history), as a root on a tmpfs or rolled back to a blank snapshot starts.
  reboot(spec, at);
  forgetCompiledCode();
  // As keepsake.service runs it (compile/service.ts): at boot.
  const boot = timed([spec.cli, ...apply], outFile, { ...phases, KEEPSAKE_BOOT: '1' });
  const bootPhases = phasesOf(boot.stderr);
  for (let i = half; i < spec.startupRuns; i++) startupMs.push(timed(['-e', '0'], outFile).ms);
  const noopActions = actionsOf(noop.stdout);
  if (noopActions !== 0)
    throw new Error(`the re-apply by the CLI planned ${noopActions} actions, not 0`);
  return {
    mode: 'cli',
    startupMs,
    firstMs: first.ms,
    firstActions: actionsOf(first.stdout),
    againMs: again.ms,
    againAnswered,
    noopMs: noop.ms,
    noopActions,
    settledMs: settled.ms,
    settledAnswered,
    elsewhereMs: afterMount.ms,
    elsewhereAnswered,
    bootMs: boot.ms,
    bootActions: actionsOf(boot.stdout),
    ...(firstPhases ? { firstPhases } : {}),
    ...(againPhases ? { againPhases } : {}),
    ...(noopPhases ? { noopPhases } : {}),
    ...(settledPhases ? { settledPhases } : {}),
    ...(elsewherePhases ? { elsewherePhases } : {}),
    ...(bootPhases ? { bootPhases } : {}),
    verified: verify(spec, at),
  };
}

/** The compiled code keepsake keeps in root's /run/keepsake (bin/compile-cache.js). */
function forgetCompiledCode(): void {
  fs.rmSync('/run/keepsake/compile-cache', { recursive: true, force: true });
}

/**
 * Everything under the root goes (the binds, the links, /run), as at a reboot; the store's
 * tmpfs is kept aside meanwhile and comes back at the same place, with what it held.
 */
function reboot(spec: ChildSpec, at: (p: string) => string): void {
  const aside = `${spec.root}.store`;
  fs.mkdirSync(aside, { recursive: true });
  run('mount', ['-n', '--bind', at(spec.store), aside]);
  // Detached whole in one call: `umount -R` reads the mount table again for each of the
  // thousands of mounts under the root, minutes at 20,000 entries.
  run('umount', ['-n', '-l', spec.root]);
  run('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'bench-root', spec.root]);
  fs.mkdirSync(at('/etc'));
  fs.mkdirSync(at('/run'));
  fs.writeFileSync(at('/etc/passwd'), spec.passwd);
  fs.writeFileSync(at('/etc/group'), spec.group);
  fs.mkdirSync(at(spec.store), { recursive: true });
  run('mount', ['-n', '--bind', aside, at(spec.store)]);
  run('umount', ['-n', aside]);
}

/** The phases line keepsake writes to stderr with KEEPSAKE_PHASES=1, if any. */
function phasesOf(stderr: string): Phases | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith('{"phases"'));
  return line ? (JSON.parse(line) as { phases: Phases }).phases : undefined;
}

const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as ChildSpec;
const at = setUp(spec);
let result: ChildResult;
switch (spec.mode) {
  case 'baseline':
    result = baseline(spec, at);
    break;
  case 'cli':
    result = cli(spec, at);
    break;
  case 'floor':
    result = floor(spec, at);
    break;
  default:
    result = await inProcess(spec, at);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
