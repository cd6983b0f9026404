// What `keepsake apply` prints for people (its JSON records are built in records.ts): each
// step as it is taken, then what was set aside, adopted or taken down, and the outcome.

import type { ActionOutcome } from '../apply/execute.js';
import type { ApplyResult } from '../apply/pipeline.js';
import { count } from '../core/text.js';
import { describeAction, describeContents, describeReleased } from '../plan/format.js';
import type { Plan } from '../plan/types.js';
import { nothingToDo } from './apply-result.js';
import type { Output } from './output.js';

/** One step as it is taken; `prefix` is `would ` in a dry run. */
export function printAction(out: Output, outcome: ActionOutcome, prefix: string): void {
  const mark =
    outcome.status === 'done'
      ? out.paint('green', prefix ? '·' : '✓')
      : out.paint(outcome.status === 'skipped' ? 'yellow' : 'red', outcome.status);
  // A step that did not go as planned, and why, reaches stderr even with --quiet.
  const say =
    outcome.status === 'done' && !outcome.error && !outcome.notes ? out.line : out.trouble;
  say(`${mark} ${prefix}${describeAction(outcome.action)}`);
  if (outcome.error)
    out.trouble(
      out.paint(
        'red',
        `    ${outcome.error.message}${outcome.error.hint ? `\n    hint: ${outcome.error.hint}` : ''}`,
      ),
    );
  for (const note of outcome.notes ?? []) out.trouble(out.paint('yellow', `    ${note}`));
}

/** After the steps: stores with no record, what was taken down, set aside or adopted, and how it ended. */
export function printApplied(out: Output, plan: Plan, result: ApplyResult, prefix: string): void {
  const skipped = result.skippedEntries;
  // A store a user owns (Home Manager's classic layout) never holds root's records: that is
  // by design and needs no word. A root-owned store that others may write to is worth one.
  for (const store of result.skipped) {
    if (result.userOwned.includes(store)) continue;
    out.error(
      out.paint(
        'yellow',
        `keepsake: no generation written in ${store}/.keepsake: someone other than root may write there, so a record kept there could not be trusted`,
      ),
    );
    out.error(
      `  hint: chown root: ${store} ${store}/.keepsake && chmod go-w ${store} ${store}/.keepsake (the entries are in place either way)`,
    );
  }
  if (result.ok) {
    for (const line of describeReleased(plan.released)) out.line(line);
    for (const a of plan.adopted) {
      const what = `${count(a.files, 'file')}, ${count(a.bytes, 'byte')}`;
      out.line(
        a.how === 'backup'
          ? out.paint(
              'yellow',
              `set aside ${a.from} in ${a.to} (${what}): the store already held data there`,
            )
          : `adopted ${a.from} into ${a.to} (${what})`,
      );
    }
  }
  if (result.ok && skipped.length > 0) describeSkipped(out, plan, result, prefix);
  else if (!result.ok)
    out.trouble(
      out.paint(
        'red',
        result.outcomes.some((o) => o.status === 'undo-failed')
          ? 'apply failed, and some steps could not be undone (marked undo-failed above)'
          : 'apply failed; the steps already taken were undone (see above)',
      ),
    );
  else if (plan.actions.length === 0) out.line(nothingToDo(plan.entries.length));
  else
    out.line(
      out.paint(
        'green',
        `${prefix ? 'dry run: ' : ''}${count(plan.actions.length, 'action')} for ${count(plan.entries.length, 'entry', 'entries')}`,
      ),
    );
}

/**
 * `--keep-going` left entries out: each one, why and what to do, on stderr (the journal at
 * boot), then a last line that says the rest is in place. The exit status is 1.
 */
function describeSkipped(out: Output, plan: Plan, result: ApplyResult, prefix: string) {
  const skipped = result.skippedEntries;
  for (const s of skipped) {
    out.error(out.paint('red', `${prefix ? 'would skip' : 'skipped'} ${s.entry}: ${s.reason}`));
    const contents = s.problems[0]?.contents;
    if (contents) out.error(`  contents: ${describeContents(contents)}`);
    for (const p of s.problems.slice(1)) out.error(`  also: ${p.message}`);
    out.error(`  fix: ${s.hint}`);
  }
  const rest = plan.entries.length - skipped.length;
  out.trouble(
    out.paint(
      'red',
      `${prefix ? 'dry run: ' : ''}${skipped.length} of ${count(plan.entries.length, 'entry', 'entries')} skipped, left as they are; ${rest} in place (${count(result.done, 'action')}); resolve the problems above, then apply again`,
    ),
  );
}
