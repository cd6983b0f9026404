// Where each key and value of a TOML document was written, for diagnostics: smol-toml gives
// values only, and the scanner (toml-scan.ts) gives offsets, turned here into lines and columns.

import type { Position } from './raw.js';
import { pathKey, scanToml } from './toml-scan.js';

export { pathKey };

export interface TomlPos {
  key: Position;
  value: Position;
  text?: string;
}

/**
 * Positions of the keys and values of a TOML document that smol-toml has already accepted:
 * table headers, arrays of tables, dotted keys, inline tables and arrays. A table is placed at
 * what first opened it; a scalar also carries its text as written.
 */
export function scanTomlPositions(text: string): Map<string, TomlPos> {
  const scan = scanToml(text);
  const at = positionsOf(text);
  const out = new Map<string, TomlPos>();
  for (const [k, v] of scan.values) {
    const table = scan.tables.get(k);
    if (table !== undefined && table < v.keyStart) continue; // opened earlier as a table
    const pos: TomlPos = { key: at(v.keyStart), value: at(v.start) };
    if (v.kind === 'scalar') pos.text = text.slice(v.start, v.end);
    out.set(k, pos);
  }
  for (const [k, offset] of scan.tables) {
    if (!out.has(k)) out.set(k, { key: at(offset), value: at(offset) });
  }
  return out;
}

/** Offset → 1-based line and column (in UTF-16 units, as the scanner counts). */
function positionsOf(text: string): (offset: number) => Position {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}
