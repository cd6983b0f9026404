import { preparePlan, resolveRoot } from '../../apply/pipeline.js';
import { readApplied } from '../../generations/store.js';
import { count, describeEntryState, describeProblem, describeReleased } from '../../plan/format.js';
import type { CommonOptions } from '../main.js';
import type { Output } from '../output.js';

/**
 * Declared against live: exit 0 when every entry is in place and nothing the configuration
 * dropped is still set up, 1 otherwise.
 */
export async function run(opts: CommonOptions, out: Output): Promise<number> {
  const { plan } = await preparePlan({
    configFile: opts.config,
    root: opts.root,
    verbose: opts.verbose,
  });
  const drift = plan.entries.filter((e) => e.state !== 'ok');
  const stale = plan.released.filter((r) => r.outcome === 'taken-down');
  const ok = drift.length === 0 && stale.length === 0;
  // What the last apply of this boot left out (`--keep-going`), as it recorded it.
  const lastSkipped = readApplied(resolveRoot(opts.root))?.skipped ?? [];
  if (out.json) {
    out.value({ ok, entries: plan.entries, stale, problems: plan.problems, lastSkipped });
    return ok ? 0 : 1;
  }
  for (const e of plan.entries) {
    const text = describeEntryState(e);
    out.line(e.state === 'ok' ? text : out.paint(e.state === 'refused' ? 'red' : 'yellow', text));
  }
  // Still set up, but no longer declared: the next apply takes these down.
  for (const line of describeReleased(stale))
    out.line(out.paint('yellow', line.replace(/^released/, 'stale   ')));
  for (const p of plan.problems) for (const l of describeProblem(p)) out.line(out.paint('red', l));
  if (lastSkipped.length > 0)
    out.line(
      out.paint(
        'red',
        `the last apply skipped ${count(lastSkipped.length, 'entry', 'entries')}: ${lastSkipped.map((s) => s.target).join(', ')}`,
      ),
    );
  out.line(
    ok
      ? out.paint('green', `all ${count(plan.entries.length, 'entry', 'entries')} in place`)
      : `${drift.length} of ${count(plan.entries.length, 'entry', 'entries')} not in place` +
          `${stale.length > 0 ? `, ${stale.length} no longer declared but still set up` : ''} (run keepsake plan)`,
  );
  return ok ? 0 : 1;
}
