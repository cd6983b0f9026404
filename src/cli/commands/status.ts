import { preparePlan, resolveRoot } from '../../apply/pipeline.js';
import { readApplied } from '../../generations/store.js';
import { judge } from '../../plan/judge.js';
import { salvageSpace } from '../../salvage/space.js';
import type { StatusOptions } from '../declare/status.js';
import { printStatus } from '../format-status.js';
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
  const verdict = judge(plan);
  const { ok, entries, stale, problems } = verdict;
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
  printStatus(out, verdict, lastSkipped, salvage);
  return ok ? 0 : 1;
}
