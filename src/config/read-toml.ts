// Reading TOML text into the raw tree: smol-toml parses it, and the position scanner supplies
// the line and column of every key and value.

import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.js';
import { firstLine, syntaxDiagnostic } from './file-errors.js';
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
    data = parseToml(text) as Record<string, unknown>;
  } catch (error) {
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
  const root = fromToml(data, [], positions, { line: 1, column: 1 }, { line: 1, column: 1 });
  return { file, format: 'toml', root, diagnostics: [] };
}

function fromToml(
  value: unknown,
  path: Segment[],
  positions: Map<string, TomlPos>,
  fallback: Position,
  valuePos: Position,
): RawNode {
  if (Array.isArray(value)) {
    return {
      kind: 'seq',
      pos: valuePos,
      items: value.map((item, index) => {
        const p = positions.get(pathKey([...path, index]));
        return fromToml(item, [...path, index], positions, valuePos, p?.value ?? valuePos);
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
        value: fromToml(child, [...path, key], positions, keyPos, p?.value ?? keyPos),
      });
    }
    return { kind: 'map', pos: valuePos, entries };
  }
  const scalar: RawScalar = { kind: 'scalar', pos: valuePos, value: scalarValue(value) };
  const text = positions.get(pathKey(path))?.text;
  if (text !== undefined) scalar.text = text;
  return scalar;
}
