import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { UsageError } from '../../errors.js';
import { diffGenerations } from '../../generations/diff.js';
import { readGeneration } from '../../generations/store.js';
import type { DiffGenerationsOptions } from '../declare/generations.js';
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
  out.line(`generation ${d.from} → ${d.to}`);
  for (const e of d.added) out.line(out.paint('green', `+ ${e.kind} ${e.target}  (${e.store})`));
  for (const e of d.removed)
    out.line(out.paint('red', `- ${e.kind} ${e.target}  (${e.store}; its data stays there)`));
  for (const c of d.changed)
    out.line(out.paint('yellow', `~ ${c.target}: ${c.changes.join('; ')}`));
  if (d.added.length + d.removed.length + d.changed.length === 0) out.line('the same setup');
  return 0;
}
