// The raw tree a configuration file is read into, whatever its format: maps, lists and scalars,
// each key and value with the line and column it was written at.

import type { Diagnostic } from '../model/types.js';

export type ConfigFormat = 'yaml' | 'toml' | 'json';

export interface Position {
  line: number; // 1-based; 0 when unknown
  column: number; // 1-based; 0 when unknown
}

export const UNKNOWN: Position = { line: 0, column: 0 };

/** One step of a path into the tree: a map key or a list index. */
export type Segment = string | number;

export type RawNode = RawMap | RawSeq | RawScalar;

export interface RawMap {
  kind: 'map';
  pos: Position;
  entries: RawEntry[];
}

export interface RawEntry {
  key: string;
  keyPos: Position;
  value: RawNode;
}

export interface RawSeq {
  kind: 'seq';
  pos: Position;
  items: RawNode[];
}

export interface RawScalar {
  kind: 'scalar';
  pos: Position;
  value: string | number | boolean | null;
  /** The value as written in the file, when known (`0700`, `0o755`, `"0700"`...). */
  text?: string;
}

export interface LoadedConfig {
  file: string;
  format: ConfigFormat;
  root: RawNode;
  /** Warnings found while parsing (syntax errors are thrown). */
  diagnostics: Diagnostic[];
}

/** A parsed scalar as a raw value (dates as ISO strings, big integers as numbers). */
export function scalarValue(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
