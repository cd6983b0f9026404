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

export function parseTomlText(text: string, file: string): LoadedConfig {
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
