import { preparePlan } from '../../apply/pipeline.js';
import { count } from '../../core/text.js';
import { describeAction, describeProblem, describeReleased } from '../../plan/format.js';
import type { PlanOptions } from '../declare/plan.js';
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
  const by = (state: string) => plan.entries.filter((e) => e.state === state).length;
  const [ok, pending, refused] = [by('ok'), by('pending'), by('refused')];
  out.line(
    `${count(plan.entries.length, 'entry', 'entries')}: ${ok} in place, ${pending} to apply, ${refused} refused; ${count(plan.actions.length, 'action')}`,
  );
  for (const a of plan.actions) out.line(`  ${describeAction(a)}`);
  for (const line of describeReleased(plan.released)) out.line(`  ${line}`);
  if (plan.problems.length > 0) {
    out.trouble(
      out.paint(
        'red',
        `${count(plan.problems.length, 'problem')}: apply would refuse and change nothing`,
      ),
    );
    for (const p of plan.problems) for (const l of describeProblem(p)) out.trouble(`  ${l}`);
    return 1;
  }
  return 0;
}
