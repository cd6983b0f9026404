// `ignore` of a storage location or of a user in it: gitignore-style patterns of undeclared
// paths that `keepsake diff` does not report, each checked here so that a bad one is reported
// with its position, like any other option.

import { compileGlob } from '../core/glob.js';
import type { IgnorePattern } from '../model/types.js';
import type { Segment } from './raw.js';
import { describe, type Reporter } from './reporter.js';
import type { Fields } from './sections.js';

/** The patterns of `fields.ignore`, relative to `base` (`/`, or a home). */
export function readIgnores(
  r: Reporter,
  fields: Fields,
  at: readonly Segment[],
  base: string,
): IgnorePattern[] {
  const list = fields.get('ignore')?.value;
  if (list === undefined || list.kind !== 'seq') return [];
  const out: IgnorePattern[] = [];
  list.items.forEach((item, index) => {
    const itemAt = [...at, 'ignore', index];
    if (item.kind !== 'scalar' || typeof item.value !== 'string') {
      r.error(
        'wrong-type',
        itemAt,
        item.pos,
        `expected a pattern (a string), got ${describe(item)}`,
        'write it as a quoted string, e.g. "/var/lib/example/cache/"',
      );
      return;
    }
    const compiled = compileGlob(item.value);
    if (!compiled.ok) {
      r.error(
        'invalid-pattern',
        itemAt,
        item.pos,
        compiled.message,
        'write a path or a gitignore-style pattern, e.g. "/var/lib/example/cache/" or "*.pid"',
      );
      return;
    }
    out.push({ pattern: item.value, base, source: r.source(itemAt, item.pos) });
  });
  return out;
}
