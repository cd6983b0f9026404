// The stages, composed: config → model → observed state → plan → execute → record.

import * as fs from 'node:fs';
import { RefusedError, UsageError } from '../errors.js';
import type { Model } from '../model/types.js';
import { observe } from '../observe/observe.js';
import { buildPlan } from '../plan/build.js';
import { hostPath } from '../plan/paths.js';
import type { Plan } from '../plan/types.js';
import { lstatOrNull } from '../system/safe-fs.js';
import type { SystemOps } from '../system/system.js';
import { VERSION } from '../version.js';
import {
  type ExecuteEvent,
  type ExecuteOptions,
  type ExecuteResult,
  executePlan,
} from './execute.js';
import { loadModel } from './model-cache.js';
import { buildRecord, RECORD_DIR, RECORD_FILE } from './record.js';

export interface PlanRequest {
  configFile: string;
  root: string;
  verbose?: boolean;
  /** Keep the validated model in <root>/run/keepsake for the next run (apply does). */
  cacheModel?: boolean;
}

/** `--root` as a real directory path, so that verified paths compare exactly. */
export function resolveRoot(root: string): string {
  let real: string;
  try {
    real = fs.realpathSync(root);
  } catch {
    throw new UsageError(
      `--root ${root}: no such directory`,
      'give the directory where the root file system is mounted',
    );
  }
  if (!fs.statSync(real).isDirectory()) throw new UsageError(`--root ${root}: not a directory`);
  return real;
}

export async function preparePlan(req: PlanRequest): Promise<{ model: Model; plan: Plan }> {
  const root = resolveRoot(req.root);
  const model = await loadModel(req.configFile, {
    root,
    verbose: req.verbose === true,
    store: req.cacheModel === true,
  });
  const plan = buildPlan(model, observe(root));
  return { model, plan };
}

export interface ApplyResult extends ExecuteResult {
  /** Store roots whose record was written. */
  recorded: string[];
  /** Store roots whose record directory is not root's alone: no record written there. */
  skipped: string[];
}

/** Carry out a plan that has no problems, then record it in every store. */
export function applyPlan(
  model: Model,
  plan: Plan,
  sys: SystemOps,
  onEvent: (e: ExecuteEvent) => void,
  now: Date,
  options: ExecuteOptions = {},
): ApplyResult {
  if (plan.problems.length > 0) throw new RefusedError(plan.problems);
  if (sys.live && plan.actions.length > 0 && process.geteuid?.() !== 0) {
    throw new UsageError(
      'keepsake apply changes mounts and owners: it must run as root',
      'run it as root, or inside a user and mount namespace (unshare --map-root-user --mount); `keepsake plan` shows the steps without root',
    );
  }
  const result = executePlan(plan, sys, onEvent, options);
  const recorded: string[] = [];
  const skipped: string[] = [];
  if (!result.ok) return { ...result, recorded, skipped };
  for (const store of model.stores) {
    const dir = hostPath(plan.root, `${store}/${RECORD_DIR}`);
    const st = lstatOrNull(dir);
    // A record is only worth trusting where nobody but root can write it; a user-owned store
    // (Home Manager's classic layout) may hold a directory of the user's own making there.
    if (st && (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0)) {
      skipped.push(store);
      continue;
    }
    // A no-op apply leaves an existing record alone, so re-applying writes nothing.
    if (plan.actions.length === 0 && st && lstatOrNull(`${dir}/${RECORD_FILE}`)) continue;
    const record = buildRecord(model, plan, store, now, VERSION);
    sys.writeRecord(dir, RECORD_FILE, `${JSON.stringify(record)}\n`);
    recorded.push(store);
  }
  return { ...result, recorded, skipped };
}
