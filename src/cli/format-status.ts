// What `keepsake status` prints for people (its JSON record is built in the command): each
// entry's state, what is still set up but no longer declared, what apply would refuse, what
// the last apply skipped, and the verdict. Drift is what went wrong: it goes to stderr with
// --quiet (out.trouble), the rest is left out.

import { count } from '../core/text.js';
import { describeEntryState, describeProblem, describeReleased } from '../plan/format.js';
import type { judge } from '../plan/judge.js';
import { describeSpace, type SalvageSpace } from '../salvage/space.js';
import type { Output } from './output.js';

export function printStatus(
  out: Output,
  verdict: ReturnType<typeof judge>,
  lastSkipped: readonly { target: string }[],
  salvage: SalvageSpace | undefined,
): void {
  const { ok, entries, drift, stale, problems } = verdict;
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
    return;
  }
  const parts = [`${drift.length} of ${count(entries.length, 'entry', 'entries')} not in place`];
  if (stale.length > 0) parts.push(`${stale.length} no longer declared but still set up`);
  if (problems.length > 0)
    parts.push(`${count(problems.length, 'problem')} apply would refuse on (listed above)`);
  out.trouble(`${parts.join(', ')} (run keepsake plan)`);
}
