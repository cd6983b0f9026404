// A generation: what one successful apply set up, kept in every store that only root can
// write, under `<store>/.keepsake/generations/`. The next apply plans against the newest one
// (to take down what the configuration dropped); `rollback` re-applies an older one.

import type { Model } from '../model/types.js';
import type { Action, Plan, Skipped } from './types.js';

/** 2: the record keeps the model's entries packed (src/model/pack.ts); 1 (earlier releases,
 *  still read): as plain JSON. A release that knows only 1 finds no generation in a 2. */
export const GENERATION_VERSION = 2;

export interface Generation {
  /** As read back: 1 for a record of an earlier release. */
  version: typeof GENERATION_VERSION | 1;
  number: number;
  keepsake: string;
  appliedAt: string; // ISO 8601
  configFile: string;
  root: string;
  /** The normalised configuration that was applied. */
  model: Model;
  /** What keepsake has set up for these entries; what it created is what it may later take
   *  down (earlier applies of the boot included). */
  actions: Action[];
  /** The plan of the apply that made this generation. */
  plan: Plan;
  /** Set when this generation re-applied an older one. */
  rollbackOf?: number;
  /** Entries `apply --keep-going` left out: declared, but not set up. */
  skipped?: Skipped[];
  /** How long the apply took, from its start to this record (absent in older records). */
  durationSeconds?: number;
}

/** The facts `keepsake generations` lists. */
export interface GenerationSummary {
  number: number;
  appliedAt: string;
  keepsake: string;
  configFile: string;
  entries: number;
  actions: number;
  rollbackOf?: number;
  /** Stores holding a copy. */
  stores: string[];
}
