// Userspace mount options (x-gvfs-hide, x-gvfs-trash) for libmount's utab.

import { mountContaining, sourceOf } from '../core/mount-table.js';
import { hostPath } from '../core/paths.js';
import type { Ctx } from './context.js';
import type { EntryPlan } from './types.js';

export function planUtab(ctx: Ctx, entries: EntryPlan[]) {
  // Counted loops, not for-of, here and below: in a short run's unoptimized code each step of
  // an iterator is an object made and dropped, a thousand of them for each loop of a plan.
  const all = ctx.model.entries;
  const byId = new Map<string, (typeof all)[number]>();
  for (let i = 0; i < all.length; i++) byId.set(all[i]!.id, all[i]!);
  // The options each target's line has now (a line the plan already drops does not count).
  const present = new Map<string, string>();
  const utab = ctx.view.observed.utab;
  for (let i = 0; i < utab.length; i++) {
    const t = utab[i]!.fields.TARGET;
    if (t && !ctx.utabDropped.has(t)) present.set(t, utab[i]!.fields.OPTS ?? '');
  }
  const bound = new Set<string>();
  for (let i = 0; i < ctx.actions.length; i++) {
    const a = ctx.actions[i]!;
    if (a.kind === 'bind' && a.entry) bound.add(a.entry);
  }
  for (let i = 0; i < entries.length; i++) {
    const ep = entries[i]!;
    const e = byId.get(ep.id);
    if (!e || ep.state === 'refused' || ep.mechanism === 'symlink' || ep.mechanism === 'covered')
      continue;
    if (ep.live !== 'mounted' && !bound.has(e.id)) continue;
    const wanted = utabOptions(e.hideMount, e.allowTrash);
    const now = present.get(e.target);
    if (now === wanted || (now === undefined && wanted === '')) continue;
    const options = wanted === '' ? [] : wanted.split(',');
    // The entry's options changed (hideMounts turned off, allowTrash on...): replace its line.
    if (now !== undefined && /x-gvfs-/.test(now)) {
      ctx.utabDropped.add(e.target);
      ctx.actions.push({
        kind: 'utab',
        remove: true,
        entry: e.id,
        target: e.target,
        source: e.store,
        device: '',
        fsRoot: '',
        options: [],
        reason: 'its options changed',
      });
    }
    if (options.length === 0) continue;
    const store = hostPath(ctx.root, e.store);
    const fsRoot = sourceOf(ctx.mounts, store)?.root ?? e.store;
    ctx.actions.push({
      kind: 'utab',
      entry: e.id,
      target: e.target,
      source: e.store,
      device: mountContaining(ctx.mounts, store)?.source ?? 'none',
      fsRoot,
      options,
      reason: 'file managers read these options from utab',
    });
  }
}

/** The options of an entry's utab line, joined with commas as utab writes them. */
function utabOptions(hide: boolean, trash: boolean): string {
  if (hide) return trash ? 'x-gvfs-hide,x-gvfs-trash' : 'x-gvfs-hide';
  return trash ? 'x-gvfs-trash' : '';
}
