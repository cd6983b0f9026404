import { preparePlan } from '../../apply/pipeline.js';
import { count, describeEntryState, describeProblem } from '../../plan/format.js';
import type { CommonOptions } from '../main.js';
import type { Output } from '../output.js';

/** Declared against live: exit 0 when every entry is in place, 1 when anything drifted. */
export async function run(opts: CommonOptions, out: Output): Promise<number> {
  const { plan } = await preparePlan({
    configFile: opts.config,
    root: opts.root,
    verbose: opts.verbose,
  });
  const drift = plan.entries.filter((e) => e.state !== 'ok');
  if (out.json) {
    out.value({ ok: drift.length === 0, entries: plan.entries, problems: plan.problems });
    return drift.length === 0 ? 0 : 1;
  }
  for (const e of plan.entries) {
    const text = describeEntryState(e);
    out.line(e.state === 'ok' ? text : out.paint(e.state === 'refused' ? 'red' : 'yellow', text));
  }
  for (const p of plan.problems) for (const l of describeProblem(p)) out.line(out.paint('red', l));
  out.line(
    drift.length === 0
      ? out.paint('green', `all ${plan.entries.length} entries in place`)
      : `${drift.length} of ${count(plan.entries.length, 'entry', 'entries')} not in place (run keepsake plan)`,
  );
  return drift.length === 0 ? 0 : 1;
}
