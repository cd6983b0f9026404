// Reading TOML text into the raw tree: smol-toml parses it, and the position scanner supplies
// the line and column of every key and value.

import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.js';
import { firstLine, syntaxDiagnostic } from './file-errors.js';
import { LIMITS, NodeBudget, tooDeep } from './limits.js';
import {
  type LoadedConfig,
  type Position,
  type RawEntry,
  type RawNode,
  type RawScalar,
  type Segment,
  scalarValue,
} from './raw.js';
import { pathKey, scanTomlPositions, type TomlPos } from './toml-positions.js';

/**
 * Refuse a dotted key of more than LIMITS.depth parts (`a.b.c...`, or a `[table.header]`) before
 * the parser and the position scanner, whose work grows with the square of a key's parts, see
 * it. A dot outside quotes between two digits belongs to a number or a time, not a key.
 */
function checkDottedKeys(file: string, text: string): void {
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    let quote = '';
    let dots = 0;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quote !== '') {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '#') break;
      else if (c === '.' && !(/\d/.test(line[i - 1] ?? '') && /\d/.test(line[i + 1] ?? ''))) {
        dots++;
        if (dots > LIMITS.depth) throw tooDeep(file, { line: index + 1, column: i + 1 });
      }
    }
  }
}

export function parseTomlText(text: string, file: string): LoadedConfig {
  checkDottedKeys(file, text);
  let data: Record<string, unknown>;
  try {
    data = parseToml(text, { maxDepth: LIMITS.depth }) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(file, { line: 1, column: 1 });
    if (error instanceof TomlError) {
      const message = firstLine(error.message.replace(/^Invalid TOML document: /, ''));
      throw new ConfigError([
        syntaxDiagnostic('toml', file, message, { line: error.line, column: error.column }),
      ]);
    }
    throw error;
  }
  let positions: Map<string, TomlPos>;
  try {
    positions = scanTomlPositions(text);
  } catch {
    positions = new Map();
  }
  const start = { line: 1, column: 1 };
  const root = fromToml(data, [], positions, start, start, new NodeBudget(file));
  return { file, format: 'toml', root, diagnostics: [] };
}

function fromToml(
  value: unknown,
  path: Segment[],
  positions: Map<string, TomlPos>,
  fallback: Position,
  valuePos: Position,
  budget: NodeBudget,
): RawNode {
  if (path.length > LIMITS.depth) throw tooDeep(budget.file, valuePos);
  budget.take(valuePos);
  if (Array.isArray(value)) {
    return {
      kind: 'seq',
      pos: valuePos,
      items: value.map((item, index) => {
        const p = positions.get(pathKey([...path, index]));
        return fromToml(item, [...path, index], positions, valuePos, p?.value ?? valuePos, budget);
      }),
    };
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const entries: RawEntry[] = [];
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const p = positions.get(pathKey([...path, key]));
      const keyPos = p?.key ?? fallback;
      entries.push({
        key,
        keyPos,
        value: fromToml(child, [...path, key], positions, keyPos, p?.value ?? keyPos, budget),
      });
    }
    return { kind: 'map', pos: valuePos, entries };
  }
  const scalar: RawScalar = { kind: 'scalar', pos: valuePos, value: scalarValue(value) };
  const text = positions.get(pathKey(path))?.text;
  if (text !== undefined) scalar.text = text;
  return scalar;
}
