import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { count, formatBytes } from '../../core/text.js';
import { byStore, describeOrphan } from '../../orphans/format.js';
import { survey } from '../../orphans/survey.js';
import type { OrphansOptions } from '../declare/orphans.js';
import type { Output } from '../output.js';

const STATE: Record<string, string> = {
  missing: 'does not exist',
  symlink: 'is a symbolic link, which keepsake does not follow',
  'not-directory': 'is not a directory',
};

/** Store data no entry refers to, by store, largest first. Read-only; exit 0. */
export async function run(opts: OrphansOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const model = await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  // The same survey `keepsake prune` chooses from: what is listed prunable here is what
  // prune deletes, and nothing in the protected set is listed.
  const { listing, orphans } = survey(model, root);
  if (out.json) {
    out.record('orphans', { orphans });
    return 0;
  }
  for (const scan of listing.stores) {
    const state = STATE[scan.state];
    if (state) out.line(out.paint('dim', `${scan.store} ${state}: nothing to scan`));
    for (const s of scan.skipped) {
      out.line(out.paint('dim', `${s.path} not scanned: ${s.reason}`));
    }
  }
  if (orphans.length === 0) {
    out.line(out.paint('green', `no orphaned data in ${model.stores.join(', ')}`));
    return 0;
  }
  for (const [store, list] of byStore(orphans)) {
    const bytes = list.reduce((n, o) => n + o.bytes, 0);
    out.line(out.paint('bold', `${store}: ${count(list.length, 'orphan')}, ${formatBytes(bytes)}`));
    for (const o of list) {
      out.line(`  ${describeOrphan(o)}`);
      if (!o.prunable) out.line(out.paint('yellow', `      not prunable: ${o.reason}`));
    }
  }
  const prunable = orphans.filter((o) => o.prunable);
  const bytes = prunable.reduce((n, o) => n + o.bytes, 0);
  out.line(
    prunable.length === 0
      ? 'none of them can be pruned by keepsake (see the reasons above)'
      : `to delete them: keepsake prune PATH... --yes (with no PATH: the ${count(prunable.length, 'prunable orphan')}, ${formatBytes(bytes)})`,
  );
  return 0;
}
