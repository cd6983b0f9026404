import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareMetrics = (parent: Command) =>
  declared(
    parent,
    'metrics',
    'print Prometheus metrics (entries, last apply, undeclared and orphaned bytes), or write them for node_exporter',
  ).option(
    '--textfile [dir]',
    "write DIR/keepsake.prom atomically (no DIR: the configuration's metrics.textfile)",
  );

/** `textfile`: a directory, or true: the configuration's `metrics.textfile`. */
export type MetricsOptions = RunOptions<typeof declareMetrics>;
