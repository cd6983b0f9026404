import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { UsageError } from '../../errors.js';
import { readApplied, readGeneration } from '../../generations/store.js';
import type { RollbackOptions } from '../declare/generations.js';
import type { Output } from '../output.js';
import { run as apply } from './apply.js';

/**
 * Re-apply an older generation's setup (by default the one before the live one). The stores'
 * data is shared by all generations, so this restores which paths persist and how, not old
 * file contents. The configuration file is not changed: the next `keepsake apply` returns
 * to it.
 */
export async function run(opts: RollbackOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const model = await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  const live = readApplied(root)?.number;
  const wanted =
    opts.args[0] !== undefined ? Number(opts.args[0]) : live !== undefined ? live - 1 : Number.NaN;
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw new UsageError(
      opts.args[0] !== undefined
        ? `not a generation number: ${opts.args[0]}`
        : 'no earlier generation is known',
      'see keepsake generations',
    );
  }
  const gen = readGeneration(root, model.stores, wanted);
  if (!gen)
    throw new UsageError(
      `generation ${wanted} not found in ${model.stores.join(', ')}`,
      'see keepsake generations',
    );
  if (!out.json) out.line(`rolling back to generation ${wanted} (applied ${gen.appliedAt})`);
  const code = await apply({ ...opts, adopt: false, keepGoing: false }, out, {
    model: gen.model,
    rollbackOf: wanted,
  });
  if (code === 0 && !out.json && !opts.dryRun) {
    out.line(
      out.paint('dim', `${opts.config} is unchanged: the next keepsake apply returns to it`),
    );
  }
  return code;
}
