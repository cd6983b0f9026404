// Declared against live, in one verdict: what `status` reports and the metrics count.

import type { EntryPlan, Plan } from './types.js';

/**
 * What `status` judges, from the very plan `plan` and `apply` use: every problem that makes
 * apply refuse is drift here too, so the two can never disagree on a root.
 */
export function judge(plan: Plan) {
  const troubled = new Set(plan.problems.map((p) => p.entry));
  // An entry with a problem is refused, whatever the planner found at its target.
  const entries: EntryPlan[] = plan.entries.map((e) =>
    troubled.has(e.id) && e.state !== 'refused' ? { ...e, state: 'refused' } : e,
  );
  const drift = entries.filter((e) => e.state !== 'ok');
  const stale = plan.released.filter((r) => r.outcome === 'taken-down');
  const ok = drift.length === 0 && stale.length === 0 && plan.problems.length === 0;
  return { ok, entries, drift, stale, problems: plan.problems };
}
