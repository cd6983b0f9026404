// One transition measurement, run inside a private mount namespace started by the benchmark's
// parent: a fresh tmpfs root with two store tmpfs mounts (/persist and /state), configuration
// A applied by the CLI, then B written over the same configuration file and applied (by the
// CLI, in-process, or by the per-entry baseline), timed and checked. Prints one JSON line.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyPlan, preparePlan } from '../src/apply/pipeline.js';
import { loadMountBackend } from '../src/system/mount-backend.js';
import { createLiveSystem } from '../src/system/system.js';
import { STORE, USER } from './layout.js';
import { checkApplied, mkdirOwned, mountTable, run, spawnTimed, summaryOf, timed } from './proc.js';
import {
  diffOf,
  SECOND_STORE,
  storeOf,
  type TransitionEntry,
  type TransitionLayout,
} from './transition-layout.js';

export type TransitionMode = 'cli' | 'in-process' | 'baseline';

export interface TransitionSpec {
  mode: TransitionMode;
  /** Host directory mounted over by a fresh tmpfs (the root) in the child's namespace. */
  root: string;
  configFile: string;
  cli: string;
  layout: TransitionLayout;
}

export interface TransitionVerified {
  /** B's bind entries, each mounted once from its own store. */
  binds: number;
  /** B's link entries, each a link to its store path. */
  links: number;
  /** A-only entries still mounted or linked (must be 0). */
  removedLive: number;
  /** Mounts under the root other than the stores (must equal binds). */
  mounts: number;
}

export interface TransitionResult {
  mode: TransitionMode;
  /** The CLI apply of A that set the stage (not the measurement). */
  applyAMs: number;
  applyAActions: number;
  /** The transition to B. */
  ms: number;
  prepareMs?: number;
  applyMs?: number;
  actions?: number;
  actionKinds?: Record<string, number>;
  backend?: string;
  /** Baseline: processes spawned, and the time spent waiting for them. */
  spawns?: { umount: number; mount: number };
  spawnMs?: number;
  /** CLI mode: `node -e 0`, timed before and after. */
  startupMs?: number[];
  /** A CLI apply after the transition (must plan 0 actions). */
  followingActions?: number;
  verified: TransitionVerified;
}

const stores = [STORE, SECOND_STORE];

function setUp(spec: TransitionSpec): (p: string) => string {
  const root = spec.root;
  const at = (p: string) => root + p;
  run('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'bench-root', root]);
  fs.mkdirSync(at('/etc'));
  fs.mkdirSync(at('/run'));
  fs.writeFileSync(at('/etc/passwd'), spec.layout.passwd);
  fs.writeFileSync(at('/etc/group'), spec.layout.group);
  for (const store of stores) {
    fs.mkdirSync(at(store));
    run('mount', [
      '-n',
      '-t',
      'tmpfs',
      '-o',
      'mode=0755',
      `bench${store.replace('/', '-')}`,
      at(store),
    ]);
  }
  // Every file entry of A and B has its stored copy, so that each is a bind mount.
  const seen = new Set<string>();
  for (const e of [...spec.layout.a, ...spec.layout.b]) {
    if (e.kind !== 'file' || seen.has(storeOf(e))) continue;
    seen.add(storeOf(e));
    const storeAt = (p: string) => at(e.storeRoot + p);
    mkdirOwned(at(path.dirname(storeOf(e))), e, storeAt, USER.home);
    fs.writeFileSync(at(storeOf(e)), `kept: ${e.target}\n`, { mode: 0o644 });
    if (e.home) fs.chownSync(at(storeOf(e)), e.uid, e.gid);
  }
  return at;
}

/**
 * The live state must be exactly `want`: each bind entry mounted once, from its own store's
 * file system at its store path; each link entry a link to its store path; nothing of `gone`
 * mounted or linked; no other mount under the root.
 */
function verify(
  spec: TransitionSpec,
  at: (p: string) => string,
  want: TransitionEntry[],
  gone: TransitionEntry[],
): TransitionVerified {
  const table = mountTable().filter((m) => m.point.startsWith(`${spec.root}/`));
  const storeDev = new Map<string, string>();
  const byPoint = new Map<string, { dev: string; fsRoot: string }[]>();
  for (const m of table) {
    const store = stores.find((s) => at(s) === m.point);
    if (store) {
      storeDev.set(store, m.dev);
      continue;
    }
    byPoint.set(m.point, [...(byPoint.get(m.point) ?? []), m]);
  }
  const fail = (e: TransitionEntry, what: string) => {
    throw new Error(`${spec.mode}: ${e.kind} ${e.target} (${e.storeRoot}, ${e.method}): ${what}`);
  };
  let binds = 0;
  let links = 0;
  for (const e of want) {
    const mounts = byPoint.get(at(e.target)) ?? [];
    if (e.method === 'symlink') {
      if (mounts.length > 0) fail(e, 'mounted, but it should be a link');
      const st = fs.lstatSync(at(e.target), { throwIfNoEntry: false });
      if (!st?.isSymbolicLink()) fail(e, `not a link (${st ? 'something else' : 'missing'})`);
      if (fs.readlinkSync(at(e.target)) !== storeOf(e)) fail(e, 'links elsewhere');
      links++;
      continue;
    }
    if (mounts.length !== 1) fail(e, `${mounts.length} mounts there, not 1`);
    const m = mounts[0]!;
    if (m.dev !== storeDev.get(e.storeRoot) || m.fsRoot !== e.target) {
      fail(e, `mounted from ${m.dev}:${m.fsRoot}, not from its store`);
    }
    if (e.kind === 'file' && fs.readFileSync(at(e.target), 'utf8') !== `kept: ${e.target}\n`) {
      fail(e, 'does not show its stored content');
    }
    binds++;
  }
  let removedLive = 0;
  for (const e of gone) {
    const st = fs.lstatSync(at(e.target), { throwIfNoEntry: false });
    if (byPoint.has(at(e.target)) || st?.isSymbolicLink()) removedLive++;
  }
  let mounts = 0;
  for (const ms of byPoint.values()) mounts += ms.length;
  if (removedLive > 0) throw new Error(`${spec.mode}: ${removedLive} removed entries still live`);
  if (mounts !== binds)
    throw new Error(`${spec.mode}: ${mounts} mounts under the root, not ${binds}`);
  return { binds, links, removedLive, mounts };
}

/**
 * What per-entry units amount to: one `umount` process for each entry taken down and one
 * `mount --bind` process for each entry set up; directories, placeholders and links are made
 * in-process (no process each).
 */
function baseline(spec: TransitionSpec, at: (p: string) => string) {
  const d = diffOf(spec.layout.a, spec.layout.b);
  const spawns = { umount: 0, mount: 0 };
  let spawnMs = 0;
  const takeDown = (e: TransitionEntry) => {
    if (e.method === 'symlink') {
      fs.unlinkSync(at(e.target));
      return;
    }
    spawnMs += spawnTimed('umount', [at(e.target)]);
    spawns.umount++;
  };
  const setUpEntry = (e: TransitionEntry) => {
    const storeAt = (p: string) => at(e.storeRoot + p);
    if (e.kind === 'file') {
      mkdirOwned(at(path.dirname(e.target)), e, at, USER.home);
      fs.closeSync(fs.openSync(at(e.target), 'a', 0o644));
      if (e.home) fs.chownSync(at(e.target), e.uid, e.gid);
    } else {
      mkdirOwned(at(storeOf(e)), e, storeAt, USER.home);
      if (e.method === 'symlink') {
        mkdirOwned(at(path.dirname(e.target)), e, at, USER.home);
        fs.symlinkSync(storeOf(e), at(e.target));
        if (e.home) fs.lchownSync(at(e.target), e.uid, e.gid);
        return;
      }
      mkdirOwned(at(e.target), e, at, USER.home);
    }
    spawnMs += spawnTimed('mount', ['--bind', '-n', at(storeOf(e)), at(e.target)]);
    spawns.mount++;
  };
  const t0 = performance.now();
  for (const e of d.removed) takeDown(e);
  for (const [old] of [...d.moved, ...d.switched]) takeDown(old);
  for (const [old, now] of d.switched) {
    // A bind mount point replaced by a link.
    if (old.method !== 'symlink' && now.method === 'symlink') fs.rmdirSync(at(old.target));
  }
  for (const [, now] of [...d.moved, ...d.switched]) setUpEntry(now);
  for (const e of d.added) setUpEntry(e);
  return { ms: performance.now() - t0, spawns, spawnMs };
}

async function inProcess(spec: TransitionSpec) {
  const { backend } = loadMountBackend();
  const sys = createLiveSystem(backend, null);
  const t0 = performance.now();
  // As `keepsake apply` does: the validated model is cached for the next run.
  const prepared = await preparePlan({
    configFile: spec.configFile,
    root: spec.root,
    cacheModel: true,
  });
  const t1 = performance.now();
  const { plan } = prepared;
  const result = applyPlan(prepared, sys, () => {}, new Date());
  const t2 = performance.now();
  const kinds = checkApplied(plan, result);
  return {
    ms: t2 - t0,
    prepareMs: t1 - t0,
    applyMs: t2 - t1,
    actions: plan.actions.length,
    actionKinds: kinds,
    backend: backend.name,
  };
}

async function main(spec: TransitionSpec): Promise<TransitionResult> {
  const at = setUp(spec);
  const outFile = `${spec.root}.out`;
  const apply = [spec.cli, 'apply', '--root', spec.root, '--config', spec.configFile, '--json'];
  const { a, b } = spec.layout;
  fs.writeFileSync(spec.configFile, spec.layout.configA);
  const first = timed(apply, outFile);
  verify(spec, at, a, []);
  const removed = diffOf(a, b).removed;
  // A configuration change: B written over the same file.
  fs.writeFileSync(spec.configFile, spec.layout.configB);
  const base = {
    mode: spec.mode,
    applyAMs: first.ms,
    applyAActions: summaryOf(first.stdout).actions,
  };
  if (spec.mode === 'baseline') {
    const r = baseline(spec, at);
    return { ...base, ...r, verified: verify(spec, at, b, removed) };
  }
  let measured: Omit<TransitionResult, keyof typeof base | 'verified'>;
  if (spec.mode === 'cli') {
    const before = timed(['-e', '0'], outFile).ms;
    const t = timed(apply, outFile);
    const after = timed(['-e', '0'], outFile).ms;
    measured = { ms: t.ms, actions: summaryOf(t.stdout).actions, startupMs: [before, after] };
  } else {
    measured = await inProcess(spec);
  }
  const verified = verify(spec, at, b, removed);
  const following = summaryOf(timed(apply, outFile).stdout).actions;
  if (following !== 0)
    throw new Error(`${spec.mode}: the apply after B planned ${following} actions, not 0`);
  return { ...base, ...measured, followingActions: following, verified };
}

const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as TransitionSpec;
process.stdout.write(`${JSON.stringify(await main(spec))}\n`);
