// What `keepsake generations` and `keepsake diff-generations` print for people (their JSON
// records are built in the commands): the generations, the live one marked, and what changed
// between two of them.

import type { GenerationDiff } from '../generations/diff.js';
import type { GenerationSummary } from '../plan/generation.js';
import type { Output } from './output.js';

/** `live`: the generation live in this boot, if any. */
export function printGenerations(
  out: Output,
  list: readonly GenerationSummary[],
  live: number | undefined,
): void {
  if (list.length === 0) {
    out.line('no generations yet: run keepsake apply');
    return;
  }
  for (const g of list) {
    const mark = g.number === live ? out.paint('green', '* ') : '  ';
    const rb = g.rollbackOf ? `  (rollback to ${g.rollbackOf})` : '';
    out.line(
      `${mark}${String(g.number).padStart(4)}  ${g.appliedAt}  ${String(g.entries).padStart(5)} entries  keepsake ${g.keepsake}${rb}`,
    );
  }
  if (live !== undefined) out.line(out.paint('dim', '* live in this boot'));
}

export function printGenerationsDiff(out: Output, d: GenerationDiff): void {
  out.line(`generation ${d.from} → ${d.to}`);
  for (const e of d.added) out.line(out.paint('green', `+ ${e.kind} ${e.target}  (${e.store})`));
  for (const e of d.removed)
    out.line(out.paint('red', `- ${e.kind} ${e.target}  (${e.store}; its data stays there)`));
  for (const c of d.changed)
    out.line(out.paint('yellow', `~ ${c.target}: ${c.changes.join('; ')}`));
  if (d.added.length + d.removed.length + d.changed.length === 0) out.line('the same setup');
}
