import { resolveRoot } from '../../apply/pipeline.js';
import { loadConfig } from '../../config/index.js';
import { count } from '../../plan/format.js';
import type { CommonOptions } from '../main.js';
import type { Output } from '../output.js';

export function run(opts: CommonOptions, out: Output): number {
  const model = loadConfig(opts.config, { root: resolveRoot(opts.root), verbose: opts.verbose });
  if (out.json) {
    out.value({
      ok: true,
      entries: model.entries.length,
      stores: model.stores,
      warnings: model.warnings,
    });
    return 0;
  }
  if (model.showWarnings) out.warnings(model.warnings);
  out.line(
    `${opts.config}: valid; ${count(model.entries.length, 'entry', 'entries')} in ${count(model.stores.length, 'store')} (${model.stores.join(', ')})`,
  );
  return 0;
}
