import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { listGenerations, readApplied } from '../../generations/store.js';
import type { GenerationsOptions } from '../declare/generations.js';
import { printGenerations } from '../format-generations.js';
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
  printGenerations(out, list, live);
  return 0;
}
