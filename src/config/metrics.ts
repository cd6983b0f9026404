// The top-level `metrics` key: where `apply` keeps the Prometheus textfile up to date.

import type { Reporter } from './reporter.js';
import { type Fields, readSection, str } from './sections.js';
import { absolutePath } from './values.js';

export function readMetrics(r: Reporter, top: Fields): { textfile: string } | undefined {
  const node = top.get('metrics')?.value;
  if (node === undefined) return undefined;
  const textfile = str(readSection(r, node, 'metrics', ['metrics']), 'textfile');
  if (textfile === undefined) return undefined;
  const path = absolutePath(r, textfile.value, ['metrics', 'textfile'], textfile.node.pos);
  return path === undefined ? undefined : { textfile: path };
}
