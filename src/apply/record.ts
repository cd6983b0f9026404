// The record of what was applied, kept in each store. It is what the next apply compares
// against to notice removed or changed entries.

import type { Model } from '../model/types.js';
import type { Plan } from '../plan/types.js';

export const RECORD_DIR = '.keepsake';
export const RECORD_FILE = 'last-apply.json';
export const RECORD_VERSION = 1;

export interface ApplyRecord {
  version: typeof RECORD_VERSION;
  keepsake: string;
  appliedAt: string; // ISO 8601
  configFile: string;
  root: string;
  /** The entries kept in this store. */
  entries: Model['entries'];
  /** The actions this apply carried out for those entries: what keepsake itself created
   *  (directories, placeholders, links) is what it may later remove. */
  actions: Plan['actions'];
}

export function buildRecord(
  model: Model,
  plan: Plan,
  store: string,
  appliedAt: Date,
  keepsake: string,
): ApplyRecord {
  const entries = model.entries.filter((e) => e.storeRoot === store);
  const ids = new Set(entries.map((e) => e.id));
  return {
    version: RECORD_VERSION,
    keepsake,
    appliedAt: appliedAt.toISOString(),
    configFile: model.configFile,
    root: plan.root,
    entries,
    actions: plan.actions.filter((a) => a.entry !== undefined && ids.has(a.entry)),
  };
}
