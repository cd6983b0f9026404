// What `keepsake plan` prints for people (its JSON record is the plan itself): the count of
// entries by state, each action, what would be taken down, and what apply would refuse.
// The refusals are what went wrong: on stderr with --quiet.

import { count } from '../core/text.js';
import { describeAction, describeProblem, describeReleased } from '../plan/format.js';
import type { Plan } from '../plan/types.js';
import type { Output } from './output.js';

export function printPlan(out: Output, plan: Plan): void {
  const by = (state: string) => plan.entries.filter((e) => e.state === state).length;
  const [ok, pending, refused] = [by('ok'), by('pending'), by('refused')];
  out.line(
    `${count(plan.entries.length, 'entry', 'entries')}: ${ok} in place, ${pending} to apply, ${refused} refused; ${count(plan.actions.length, 'action')}`,
  );
  for (const a of plan.actions) out.line(`  ${describeAction(a)}`);
  for (const line of describeReleased(plan.released)) out.line(`  ${line}`);
  if (plan.problems.length === 0) return;
  out.trouble(
    out.paint(
      'red',
      `${count(plan.problems.length, 'problem')}: apply would refuse and change nothing`,
    ),
  );
  for (const p of plan.problems) for (const l of describeProblem(p)) out.trouble(`  ${l}`);
}
