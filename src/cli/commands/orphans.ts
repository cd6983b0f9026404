import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { survey } from '../../orphans/survey.js';
import type { OrphansOptions } from '../declare/orphans.js';
import { printOrphans } from '../format-orphans.js';
import type { Output } from '../output.js';

/** Store data no entry refers to, by store, largest first. Read-only; exit 0. */
export async function run(opts: OrphansOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const model = await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  // The same survey `keepsake prune` chooses from: what is listed prunable here is what
  // prune deletes, and nothing in the protected set is listed.
  const found = survey(model, root);
  if (out.json) {
    out.record('orphans', { orphans: found.orphans });
    return 0;
  }
  printOrphans(out, found, model.stores);
  return 0;
}
