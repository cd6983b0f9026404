// Keeping the configured textfile up to date from the commands that change what it reports
// (apply; salvage run). A metrics file is a report: failing to write it never fails the
// command that changed the system, it only warns.

import { hostPath } from '../core/paths.js';
import type { Model } from '../model/types.js';
import { metricsText } from './families.js';
import { collectFigures } from './figures.js';
import { writeTextfile } from './textfile.js';

export interface RefreshResult {
  /** The file written, as a host path. */
  written?: string;
  /** Why it could not be written: one line, for stderr. */
  warning?: string;
}

/**
 * Rewrite `<metrics.textfile>/keepsake.prom` when the model sets `metrics.textfile`, with the
 * cheap figures only: the walked ones (diff, orphans) are kept from the last full run of this
 * boot.
 * `root` is the resolved root. Never throws.
 */
export async function refreshMetrics(
  model: Model,
  root: string,
  configFile: string,
): Promise<RefreshResult> {
  if (!model.metrics) return {};
  const dir = hostPath(root, model.metrics.textfile);
  try {
    const text = metricsText(await collectFigures(model, root, configFile, false));
    return { written: writeTextfile(dir, text) };
  } catch (e) {
    const hint = (e as { hint?: string }).hint;
    return {
      warning: `metrics not written to ${dir}: ${(e as Error).message}${hint ? ` (${hint})` : ''}`,
    };
  }
}
