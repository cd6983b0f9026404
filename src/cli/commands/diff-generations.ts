import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { UsageError } from '../../errors.js';
import { diffGenerations } from '../../generations/diff.js';
import { readGeneration } from '../../generations/store.js';
import type { DiffGenerationsOptions } from '../declare/generations.js';
import { printGenerationsDiff } from '../format-generations.js';
import type { Output } from '../output.js';

export async function run(opts: DiffGenerationsOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const model = await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  const [a, b] = opts.args.map((x) => {
    const n = Number(x);
    const g = Number.isInteger(n) && n > 0 ? readGeneration(root, model.stores, n) : undefined;
    if (!g) {
      throw new UsageError(
        `generation ${x} not found in ${model.stores.join(', ')}`,
        'see keepsake generations',
      );
    }
    return g;
  });
  const d = diffGenerations(a!, b!);
  if (out.json) {
    out.record('generations.diff', d);
    return 0;
  }
  printGenerationsDiff(out, d);
  return 0;
}
