// `apply --keep-going`: an entry whose own checks fail is left out instead of stopping the
// plan. Invariants: a skipped entry contributes no action (the planner already rolls back a
// refused entry's actions and planned paths, so later entries never count on them); every
// entry inside a skipped directory entry is skipped as well, since the bind it would sit in is
// not there and its target would be made on the root's own directory, beside data that must
// stay visible; and problems that concern every entry (a store that would not survive a
// reboot, a transition that cannot be made) are not entry problems: they still stop the plan.

import type { PersistEntry } from '../model/types.js';
import type { Ctx } from './context.js';
import type { EntryPlan, Problem, Skipped } from './types.js';

export class SkipList {
  readonly list: Skipped[] = [];
  private readonly ids = new Map<string, Skipped>();

  /** The skipped directory entry `entry` lies inside, if any (its nearest enclosing one). */
  skippedParent(ctx: Ctx, entry: PersistEntry): PersistEntry | undefined {
    const parent = ctx.topo.enclosing.get(entry.id);
    return parent && this.ids.has(parent.id) ? parent : undefined;
  }

  /** Skip an entry that lies inside a skipped one; nothing is planned for it. */
  inside(ctx: Ctx, entry: PersistEntry, parent: PersistEntry): EntryPlan {
    this.add({
      entry: entry.id,
      target: entry.target,
      reason: `inside ${parent.target}, which is skipped`,
      hint: `resolve the problem of ${parent.id}; this entry is put in place with it`,
      inside: parent.target,
      problems: [],
    });
    return {
      id: entry.id,
      kind: entry.kind,
      target: entry.target,
      store: entry.store,
      mechanism: ctx.topo.covered.has(entry.id) ? 'covered' : 'bind',
      live: ctx.topo.covered.has(entry.id) ? 'covered' : 'missing',
      state: 'refused',
    };
  }

  /** Move the problems an entry's planning raised (from index `from` on) into the list. */
  own(ctx: Ctx, entry: PersistEntry, from: number): void {
    const problems: Problem[] = ctx.problems.splice(from);
    const first = problems[0];
    if (!first) return;
    this.add({
      entry: entry.id,
      target: entry.target,
      reason: first.message,
      hint: first.hint,
      problems,
    });
  }

  private add(s: Skipped) {
    this.list.push(s);
    this.ids.set(s.entry, s);
  }
}
