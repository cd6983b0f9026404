// What `keepsake home apply` and `home rollback` print for people (their JSON records are
// built in the commands): each step as it is taken, then why nothing was changed or where it
// stopped, the onChange commands that ran, and the generation made.

import type { HomeApplyResult } from '../home/apply.js';
import type { HomeOutcome } from '../home/execute.js';
import { describeContentProblem, describeHomeAction, describeHomeProblem } from '../home/format.js';
import type { Output } from './output.js';

/** One step as it is taken; a failed one reaches stderr even with --quiet. */
export function printHomeAction(out: Output, o: HomeOutcome): void {
  (o.status === 'failed' ? out.trouble : out.line)(
    `${o.status === 'done' ? out.paint('green', '✓') : o.status === 'skipped' ? out.paint('dim', '·') : out.paint('red', '✗')} ${describeHomeAction(o.action)}${o.note ? out.paint('dim', ` (${o.note})`) : ''}`,
  );
}

/** After the steps; `refused`: the checks stopped it before anything in the home changed. */
export function printHomeApplied(
  out: Output,
  result: HomeApplyResult,
  how: { user: string; dryRun: boolean; refused: boolean },
): void {
  const { user, dryRun, refused } = how;
  for (const p of result.contentProblems)
    for (const l of describeContentProblem(p)) out.error(out.paint('red', l));
  for (const p of result.plan?.problems ?? [])
    for (const l of describeHomeProblem(p)) out.error(out.paint('red', l));
  for (const n of result.plan?.notes ?? []) out.trouble(out.paint('yellow', n));
  if (dryRun)
    for (const a of result.plan?.actions ?? []) out.line(`· would ${describeHomeAction(a)}`);
  for (const c of result.onChange) {
    const ok = c.status === 0;
    (ok ? out.line : out.trouble)(
      out.paint(
        ok ? 'green' : 'red',
        `onChange of ${c.target}: ${ok ? 'ran' : `failed (status ${c.status})`}`,
      ),
    );
    if (c.output.trim() !== '')
      (ok ? out.line : out.trouble)(out.paint('dim', c.output.trimEnd().replace(/^/gm, '    ')));
  }
  if (!result.ok) {
    out.error(
      out.paint(
        'red',
        refused
          ? `keepsake: home files of ${user} not applied: nothing in the home was changed`
          : `keepsake: home apply of ${user} stopped; run it again to finish`,
      ),
    );
    return;
  }
  const n = result.plan?.actions.length ?? 0;
  if (result.generation !== undefined)
    out.line(
      out.paint(
        'green',
        `home generation ${result.generation} for ${user}: ${n} action${n === 1 ? '' : 's'}`,
      ),
    );
  else if (!dryRun)
    out.line(
      n === 0
        ? `home files of ${user}: nothing to do`
        : `home files of ${user}: ${n} action${n === 1 ? '' : 's'}, same generation`,
    );
}
