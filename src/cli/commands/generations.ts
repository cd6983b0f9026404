import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { listGenerations, readApplied } from '../../generations/store.js';
import type { GenerationsOptions } from '../declare/generations.js';
import type { Output } from '../output.js';

/** The generations recorded in the configuration's stores, the live one marked. */
export async function run(opts: GenerationsOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const model = await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  const list = listGenerations(root, model.stores);
  const live = readApplied(root)?.number;
  if (out.json) {
    out.record('generations', { live: live ?? null, generations: list });
    return 0;
  }
  if (list.length === 0) {
    out.line('no generations yet: run keepsake apply');
    return 0;
  }
  for (const g of list) {
    const mark = g.number === live ? out.paint('green', '* ') : '  ';
    const rb = g.rollbackOf ? `  (rollback to ${g.rollbackOf})` : '';
    out.line(
      `${mark}${String(g.number).padStart(4)}  ${g.appliedAt}  ${String(g.entries).padStart(5)} entries  keepsake ${g.keepsake}${rb}`,
    );
  }
  if (live !== undefined) out.line(out.paint('dim', '* live in this boot'));
  return 0;
}
