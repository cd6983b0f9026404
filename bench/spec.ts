// What the benchmark's parent hands to a measurement child, and what the child reports back.

import { type BenchEntry, type Layout, STORE, USER } from './layout.js';

export type Mode = 'baseline' | 'floor' | 'in-process' | 'cli' | 'profile';

export interface ChildSpec {
  mode: Mode;
  /** Host directory mounted over by a fresh tmpfs (the root) in the child's namespace. */
  root: string;
  configFile: string;
  passwd: string;
  group: string;
  store: string;
  /** The user's home, which holds every home entry. */
  home: string;
  entries: BenchEntry[];
  /** Path of keepsake's CLI script. */
  cli: string;
  /** How many `node -e 0` to time around the CLI runs. */
  startupRuns: number;
  /** For mode `profile`: where to write the .cpuprofile. */
  profileFile?: string;
  /** For mode `floor`: the compiled floor program (floor.c). */
  floorBin?: string;
}

/** A child's spec for the bench's layout, written to `configFile`, applied under `root`. */
export function layoutSpec(
  mode: Mode,
  layout: Layout,
  where: { root: string; configFile: string; cli: string; startupRuns: number; floorBin?: string },
): ChildSpec {
  return {
    mode,
    root: where.root,
    configFile: where.configFile,
    passwd: layout.passwd,
    group: layout.group,
    store: STORE,
    home: USER.home,
    entries: layout.entries,
    cli: where.cli,
    startupRuns: where.startupRuns,
    ...(where.floorBin ? { floorBin: where.floorBin } : {}),
  };
}

export interface Verified {
  /** Mount points under the root other than the store itself. */
  mounts: number;
  symlinks: number;
}

export interface BaselineResult {
  mode: 'baseline';
  totalMs: number;
  spawnMs: number;
  spawns: number;
  links: number;
  verified: Verified;
}

/** The floor program (floor.c): one process doing only the safe minimum. */
export interface FloorResult {
  mode: 'floor';
  ms: number;
  verified: Verified;
}

export interface InProcessResult {
  mode: 'in-process' | 'profile';
  backend: string;
  notice?: string;
  firstMs: number;
  firstPrepareMs: number;
  firstApplyMs: number;
  firstActions: number;
  actionKinds: Record<string, number>;
  entries: number;
  noopMs: number;
  noopPrepareMs: number;
  noopApplyMs: number;
  noopActions: number;
  verified: Verified;
}

export interface CliResult {
  mode: 'cli';
  startupMs: number[];
  firstMs: number;
  firstActions: number;
  /** The re-apply right after the first apply: answered from the settled record the first
   *  apply kept (it planned again once it had acted). */
  againMs: number;
  /** False for a build of keepsake that plans it. */
  againAnswered: boolean;
  /** A re-apply the record cannot answer (it was taken away): it plans, finds nothing to do,
   *  and keeps the settled record. */
  noopMs: number;
  noopActions: number;
  /** The re-apply after that: answered from the settled record, without planning. */
  settledMs: number;
  /** False for a build of keepsake that plans it again. */
  settledAnswered: boolean;
  /** The re-apply after a file system is mounted elsewhere (none of the entries' paths): the
   *  settled record answers, having compared the lines of the mount table its plan depends on. */
  elsewhereMs: number;
  /** False for a build of keepsake that plans it. */
  elsewhereAnswered: boolean;
  /** The apply of the next boot: an empty root, the store kept from the runs before. */
  bootMs: number;
  bootActions: number;
  /** KEEPSAKE_PHASES of the first apply, of the no-op re-apply and of the next boot's. */
  firstPhases?: Phases;
  againPhases?: Phases;
  noopPhases?: Phases;
  settledPhases?: Phases;
  elsewherePhases?: Phases;
  bootPhases?: Phases;
  verified: Verified;
}

/** keepsake's own account of where a run's time went, in ms (see src/apply/phases.ts). */
export type Phases = Record<string, number>;

export type ChildResult = BaselineResult | FloorResult | InProcessResult | CliResult;
