// Building the generation an apply leaves behind. Pure.

import type { Model } from '../model/types.js';
import { GENERATION_VERSION, type Generation } from '../plan/generation.js';
import type { Action, Plan } from '../plan/types.js';

/** Actions that set something up (as opposed to taking it down or noting it in utab). */
const SETS_UP = new Set<Action['kind']>([
  'mkdir',
  'create-file',
  'chown',
  'chmod',
  'bind',
  'symlink',
]);

/**
 * The generation after `plan` ran. Its actions are everything keepsake has set up for the
 * entries it now holds: what earlier applies of this boot did for entries that stayed the
 * same, plus what this one did; that is what a later apply may take down.
 */
export function buildGeneration(
  model: Model,
  plan: Plan,
  previous: Generation | undefined,
  number: number,
  appliedAt: Date,
  keepsake: string,
  rollbackOf?: number,
): Generation {
  const ids = new Set(model.entries.map((e) => e.id));
  const released = new Set(plan.released.map((r) => r.id));
  const declared = (a: Action) => a.entry !== undefined && ids.has(a.entry);
  // Earlier set-up of an entry released here (dropped, or set up anew) no longer stands.
  const kept = (a: Action) => declared(a) && !released.has(a.entry!);
  return {
    version: GENERATION_VERSION,
    number,
    keepsake,
    appliedAt: appliedAt.toISOString(),
    configFile: model.configFile,
    root: plan.root,
    model,
    actions: (previous?.actions ?? [])
      .filter(kept)
      .concat(plan.actions.filter((a) => SETS_UP.has(a.kind) && declared(a))),
    plan,
    ...(rollbackOf ? { rollbackOf } : {}),
    ...((plan.skipped?.length ?? 0) > 0 ? { skipped: plan.skipped } : {}),
  };
}
