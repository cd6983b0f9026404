import { preparePlan } from '../../apply/pipeline.js';
import type { PlanOptions } from '../declare/plan.js';
import { printPlan } from '../format-plan.js';
import type { Output } from '../output.js';

export async function run(opts: PlanOptions, out: Output): Promise<number> {
  const { model, plan } = await preparePlan({
    configFile: opts.config,
    root: opts.root,
    adopt: opts.adopt === true,
    verbose: opts.verbose,
  });
  if (out.json) {
    out.record('plan', plan);
    return plan.problems.length > 0 ? 1 : 0;
  }
  if (model.showWarnings) out.warnings(plan.warnings);
  printPlan(out, plan);
  return plan.problems.length > 0 ? 1 : 0;
}
