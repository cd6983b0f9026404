import { preparePlan, resolveRoot } from '../../apply/pipeline.js';
import { count } from '../../core/text.js';
import { readApplied } from '../../generations/store.js';
import { describeEntryState, describeProblem, describeReleased } from '../../plan/format.js';
import type { EntryPlan, Plan } from '../../plan/types.js';
import type { CommonOptions } from '../main.js';
import type { Output } from '../output.js';

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

/**
 * Declared against live: exit 0 when every entry is in place, nothing the configuration
 * dropped is still set up, and apply would refuse nothing; 1 otherwise.
 */
export async function run(opts: CommonOptions, out: Output): Promise<number> {
  const { plan } = await preparePlan({
    configFile: opts.config,
    root: opts.root,
    verbose: opts.verbose,
  });
  const { ok, entries, drift, stale, problems } = judge(plan);
  // What the last apply of this boot left out (`--keep-going`), as it recorded it.
  const lastSkipped = readApplied(resolveRoot(opts.root))?.skipped ?? [];
  if (out.json) {
    out.value({ ok, entries, stale, problems, lastSkipped });
    return ok ? 0 : 1;
  }
  for (const e of entries) {
    const text = describeEntryState(e);
    out.line(e.state === 'ok' ? text : out.paint(e.state === 'refused' ? 'red' : 'yellow', text));
  }
  // Still set up, but no longer declared: the next apply takes these down.
  for (const line of describeReleased(stale))
    out.line(out.paint('yellow', line.replace(/^released/, 'stale   ')));
  for (const p of problems) for (const l of describeProblem(p)) out.line(out.paint('red', l));
  if (lastSkipped.length > 0)
    out.line(
      out.paint(
        'red',
        `the last apply skipped ${count(lastSkipped.length, 'entry', 'entries')}: ${lastSkipped.map((s) => s.target).join(', ')}`,
      ),
    );
  if (ok) {
    out.line(out.paint('green', `all ${count(entries.length, 'entry', 'entries')} in place`));
    return 0;
  }
  const parts = [`${drift.length} of ${count(entries.length, 'entry', 'entries')} not in place`];
  if (stale.length > 0) parts.push(`${stale.length} no longer declared but still set up`);
  if (problems.length > 0)
    parts.push(`${count(problems.length, 'problem')} apply would refuse on (listed above)`);
  out.line(`${parts.join(', ')} (run keepsake plan)`);
  return 1;
}
