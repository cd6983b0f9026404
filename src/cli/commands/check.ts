import { preparePlan, resolveRoot } from '../../apply/pipeline.js';
import { loadConfig } from '../../config/index.js';
import { count } from '../../core/text.js';
import { describeProblem } from '../../plan/format.js';
import type { Problem } from '../../plan/types.js';
import type { CheckOptions } from '../declare/check.js';
import type { Output } from '../output.js';

/**
 * The file alone; with `--root`, also the root as plan sees it. The problems are the plan's
 * own, so check --root, plan, status and apply refuse on exactly the same things.
 */
export async function run(opts: CheckOptions, out: Output): Promise<number> {
  const model = loadConfig(opts.config, { root: resolveRoot(opts.root), verbose: opts.verbose });
  const problems: Problem[] = opts.rootGiven
    ? (await preparePlan({ configFile: opts.config, root: opts.root, model })).plan.problems
    : [];
  const ok = problems.length === 0;
  if (out.json) {
    out.record('check', {
      ok,
      entries: model.entries.length,
      stores: model.stores,
      warnings: model.warnings,
      ...(opts.rootGiven ? { root: resolveRoot(opts.root), problems } : {}),
    });
    return ok ? 0 : 1;
  }
  if (model.showWarnings) out.warnings(model.warnings);
  out.line(
    `${opts.config}: valid; ${count(model.entries.length, 'entry', 'entries')} in ${count(model.stores.length, 'store')} (${model.stores.join(', ')})`,
  );
  if (!opts.rootGiven) return 0;
  const root = resolveRoot(opts.root);
  if (ok) {
    out.line(`${root}: apply would refuse nothing`);
    return 0;
  }
  out.trouble(
    out.paint('red', `${root}: ${count(problems.length, 'problem')}: apply would refuse`),
  );
  for (const p of problems) for (const l of describeProblem(p)) out.trouble(`  ${l}`);
  return 1;
}
