import { preparePlan, resolveRoot } from '../../apply/pipeline.js';
import { count } from '../../core/text.js';
import { readApplied } from '../../generations/store.js';
import { describeEntryState, describeProblem, describeReleased } from '../../plan/format.js';
import { judge } from '../../plan/judge.js';
import { describeSpace, salvageSpace } from '../../salvage/space.js';
import type { StatusOptions } from '../declare/status.js';
import type { Output } from '../output.js';

/**
 * Declared against live: exit 0 when every entry is in place, nothing the configuration
 * dropped is still set up, and apply would refuse nothing; 1 otherwise.
 */
export async function run(opts: StatusOptions, out: Output): Promise<number> {
  const { plan, model } = await preparePlan({
    configFile: opts.config,
    root: opts.root,
    verbose: opts.verbose,
  });
  const { ok, entries, drift, stale, problems } = judge(plan);
  // What the last apply of this boot left out (`--keep-going`), as it recorded it.
  const lastSkipped = readApplied(resolveRoot(opts.root))?.skipped ?? [];
  // Space only: a salvage says nothing about drift.
  const space = salvageSpace(resolveRoot(opts.root), model);
  const salvage = space?.enabled || (space?.boots ?? 0) > 0 ? space : undefined;
  if (out.json) {
    out.record('status', {
      ok,
      entries,
      stale,
      problems,
      lastSkipped,
      ...(salvage ? { salvage } : {}),
    });
    return ok ? 0 : 1;
  }
  // Drift is what went wrong: with --quiet only it is printed, on stderr.
  for (const e of entries) {
    const text = describeEntryState(e);
    if (e.state === 'ok') out.line(text);
    else out.trouble(out.paint(e.state === 'refused' ? 'red' : 'yellow', text));
  }
  // Still set up, but no longer declared: the next apply takes these down.
  for (const line of describeReleased(stale))
    out.trouble(out.paint('yellow', line.replace(/^released/, 'stale   ')));
  for (const p of problems) for (const l of describeProblem(p)) out.trouble(out.paint('red', l));
  if (lastSkipped.length > 0)
    out.trouble(
      out.paint(
        'red',
        `the last apply skipped ${count(lastSkipped.length, 'entry', 'entries')}: ${lastSkipped.map((s) => s.target).join(', ')}`,
      ),
    );
  if (salvage !== undefined) out.line(describeSpace(salvage));
  if (ok) {
    out.line(out.paint('green', `all ${count(entries.length, 'entry', 'entries')} in place`));
    return 0;
  }
  const parts = [`${drift.length} of ${count(entries.length, 'entry', 'entries')} not in place`];
  if (stale.length > 0) parts.push(`${stale.length} no longer declared but still set up`);
  if (problems.length > 0)
    parts.push(`${count(problems.length, 'problem')} apply would refuse on (listed above)`);
  out.trouble(`${parts.join(', ')} (run keepsake plan)`);
  return 1;
}
