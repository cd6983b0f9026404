// What every real apply leaves for the metrics: its outcome in /run, and, when the
// configuration sets `metrics.textfile`, a refreshed textfile. Neither ever fails the apply.

import type { Model } from '../model/types.js';
import { recordLastApply } from './last-apply.js';

export interface ApplyOutcome {
  /** The resolved root. */
  root: string;
  configFile: string;
  /** The exit status was 0. */
  ok: boolean;
  startedMs: number;
  /** The model applied, when the configuration could be read. */
  model?: Model;
}

/** Record the outcome and refresh the textfile; returns warnings, one line each. */
export async function afterApply(o: ApplyOutcome): Promise<string[]> {
  const warnings: string[] = [];
  const finished = Date.now();
  // Only root's record is believed (readLastApply): another user's apply, which had nothing to
  // do, leaves none rather than a warning.
  if (process.geteuid?.() === 0) {
    try {
      recordLastApply(o.root, {
        ok: o.ok,
        finishedAt: new Date(finished).toISOString(),
        durationSeconds: (finished - o.startedMs) / 1000,
      });
    } catch (e) {
      warnings.push(`the outcome of this apply was not recorded: ${(e as Error).message}`);
    }
  }
  if (o.model?.metrics) {
    // Loaded only here: the figures bring the tree walks of diff and orphans with them, and
    // most configurations ask for no metrics.
    const { refreshMetrics } = await import('./refresh.js');
    const r = await refreshMetrics(o.model, o.root, o.configFile);
    if (r.warning) warnings.push(r.warning);
  }
  return warnings;
}
