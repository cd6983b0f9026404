// Userspace mount options (x-gvfs-hide, x-gvfs-trash) for libmount's utab.

import { mountContaining, sourceOf } from '../core/mount-table.js';
import { hostPath } from '../core/paths.js';
import type { Ctx } from './context.js';
import type { EntryPlan } from './types.js';

export function planUtab(ctx: Ctx, entries: EntryPlan[]) {
  const byId = new Map<string, (typeof ctx.model.entries)[number]>();
  for (const e of ctx.model.entries) byId.set(e.id, e);
  // The options each target's line has now (a line the plan already drops does not count).
  const present = new Map<string, string>();
  for (const u of ctx.view.observed.utab) {
    const t = u.fields.TARGET;
    if (t && !ctx.utabDropped.has(t)) present.set(t, u.fields.OPTS ?? '');
  }
  const bound = new Set<string>();
  for (const a of ctx.actions) if (a.kind === 'bind' && a.entry) bound.add(a.entry);
  for (const ep of entries) {
    const e = byId.get(ep.id);
    if (!e || ep.state === 'refused' || ep.mechanism === 'symlink' || ep.mechanism === 'covered')
      continue;
    if (ep.live !== 'mounted' && !bound.has(e.id)) continue;
    const options: string[] = [];
    if (e.hideMount) options.push('x-gvfs-hide');
    if (e.allowTrash) options.push('x-gvfs-trash');
    const now = present.get(e.target);
    if (now === options.join(',') || (now === undefined && options.length === 0)) continue;
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
