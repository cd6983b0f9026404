import path from 'node:path';
import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { hostPath } from '../../core/paths.js';
import { UsageError } from '../../errors.js';
import { hooks } from '../../hooks.js';
import { metricsText } from '../../metrics/families.js';
import { collectFigures, saveWalked } from '../../metrics/figures.js';
import { writeTextfile } from '../../metrics/textfile.js';
import type { MetricsOptions } from '../declare/metrics.js';
import type { Output } from '../output.js';

/**
 * Every figure, the walk of the tree included, in Prometheus' text format: on stdout, or
 * written atomically to DIR/keepsake.prom for node_exporter's textfile collector.
 */
export async function run(opts: MetricsOptions, out: Output): Promise<number> {
  const pauseMs = hooks().metricsPauseMs; // hidden, for tests
  const root = resolveRoot(opts.root);
  const model = await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  let dir: string | undefined;
  if (opts.textfile === true) {
    if (!model.metrics)
      throw new UsageError(
        `--textfile without a directory, and ${opts.config} sets no metrics.textfile`,
        'give the directory (keepsake metrics --textfile DIR), or set metrics: { textfile: DIR } in the configuration',
      );
    dir = hostPath(root, model.metrics.textfile);
  } else if (typeof opts.textfile === 'string') dir = path.resolve(opts.textfile);
  const figures = await collectFigures(model, root, opts.config, true);
  if (dir === undefined) {
    if (out.json) out.record('metrics', figures);
    else out.line(metricsText(figures).replace(/\n$/, ''));
    return 0;
  }
  const written = writeTextfile(dir, metricsText(figures), { pauseMs });
  if (opts.verbose && !out.json) out.line(`wrote ${written}`);
  // Kept for apply's refreshes, which do not walk the tree. Only the run that writes the
  // textfile keeps them: printing stays a read-only command.
  if (figures.walked && process.geteuid?.() === 0) {
    try {
      saveWalked(root, figures.walked);
    } catch (e) {
      out.error(
        out.paint('yellow', `keepsake: the walked figures were not kept: ${(e as Error).message}`),
      );
    }
  }
  return 0;
}
