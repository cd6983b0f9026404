// What the planner carries from entry to entry while it builds a plan.

import type { Source } from '../core/mount-table.js';
import type { MountInfo } from '../model/observed.js';
import type { Diagnostic, Model } from '../model/types.js';
import type { Topology } from './topology.js';
import type { Action, Adoption, PendingMove, Problem } from './types.js';
import type { View } from './view.js';

/** The planner's working state: the inputs, the view of the tree, and what it has decided. */
export interface Ctx {
  model: Model;
  root: string;
  view: View;
  topo: Topology;
  mounts: MountInfo[];
  actions: Action[];
  problems: Problem[];
  /** Paths already found not to be symlinks (they stay so while planning). */
  safe: Set<string>;
  /** Host paths whose top mount the plan takes down (transitions run first). */
  unmounted: Set<string>;
  /** utab targets the plan drops. */
  utabDropped: Set<string>;
  /** `--adopt`: move data in the way into the store for every entry. */
  adoptAll: boolean;
  adoptTargets: Set<string>;
  /** Names this run's backups: `<store>/.keepsake/backup/<tag>/<path>`. */
  backupTag: string;
  adopted: Adoption[];
  /** Moves journaled by earlier runs, by target: carried on, never started afresh. */
  pendingMoves: Map<string, PendingMove>;
  /** Targets whose move is settled after their bind (planned at the end of the entry). */
  settleAfterBind: Set<string>;
  /** Targets whose move already has its `adopt-finish`. */
  settled: Set<string>;
  /** Where store paths lie, by storage location (src/core/mount-table.ts's sourcesBelow;
   *  null where a mount lies inside the location). */
  storeSources: Map<string, ((path: string) => Source | undefined) | null>;
  /** Warnings about the live system found while planning (the model has its own). */
  notes: Diagnostic[];
}
