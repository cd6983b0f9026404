// What `keepsake prune` prints for people (its JSON records are built in the command): why it
// refused, what it would or will delete, what it leaves and why, and what it deleted.

import { count, formatBytes } from '../core/text.js';
import { describeCounts, sizeColumn } from '../orphans/format.js';
import type { PrunePlan, PruneResult } from '../orphans/prune.js';
import type { Output } from './output.js';

/** Refused as a whole: every path that cannot be pruned, and that nothing was deleted. */
export function printRefused(out: Output, plan: PrunePlan): void {
  for (const r of plan.refused) out.error(out.paint('red', `refused: ${r.path}: ${r.reason}`));
  out.error(
    out.paint(
      'red',
      `keepsake: refusing to prune: ${count(plan.refused.length, 'path')} cannot be pruned, nothing was deleted`,
    ),
  );
  out.error('  hint: prune deletes only orphaned store data; `keepsake orphans` lists it');
}

/** `say`: the question a person answers is shown even with --quiet. */
export function listTargets(plan: PrunePlan, say: (text: string) => void, verb: string): void {
  const bytes = plan.targets.reduce((n, t) => n + t.bytes, 0);
  say(`${verb} ${count(plan.targets.length, 'path')}, ${formatBytes(bytes)}:`);
  for (const t of plan.targets) {
    const what = t.kind === 'directory' ? describeCounts(t) : t.kind;
    say(`  ${sizeColumn(t.bytes)}  ${t.path}  (${what})`);
  }
}

export function listKept(plan: PrunePlan, out: Output): void {
  for (const o of plan.kept) {
    out.trouble(out.paint('yellow', `not pruned: ${o.path}: ${o.reason}`));
  }
}

/** After the deletions: each path deleted, each part kept and why, and the totals. */
export function printPruned(
  out: Output,
  plan: PrunePlan,
  result: PruneResult,
  totals: { files: number; directories: number; bytes: number },
): void {
  for (const d of result.deleted) {
    const what = d.kind === 'directory' ? describeCounts(d) : d.kind;
    out.line(
      `${d.complete ? `${out.paint('green', '✓')} deleted` : 'partly deleted'} ${d.path}  (${what}, ${formatBytes(d.bytes)})`,
    );
  }
  for (const k of result.kept) out.trouble(out.paint('red', `kept ${k.path}: ${k.reason}`));
  listKept(plan, out);
  const summary = `pruned ${count(result.deleted.length, 'path')}: ${describeCounts(totals)}, ${formatBytes(totals.bytes)}`;
  out.line(result.kept.length === 0 ? out.paint('green', summary) : summary);
}
