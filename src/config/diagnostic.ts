// How a diagnostic reads on a terminal. Kept apart from the loader so that printing one
// does not load the YAML and TOML parsers.

import type { Diagnostic } from '../model/types.js';

/** `FILE:LINE:COL: error: <message>` and, when there is one, `  hint: <hint>` below it. */
export function formatDiagnostic(d: Diagnostic): string {
  const s = d.source;
  const where =
    s === undefined || s.file === ''
      ? 'keepsake'
      : s.line > 0
        ? `${s.file}:${s.line}:${s.column}`
        : s.file;
  const head = `${where}: ${d.severity}: ${d.message}`;
  return d.hint === undefined ? head : `${head}\n  hint: ${d.hint}`;
}
