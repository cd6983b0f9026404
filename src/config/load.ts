// Reading a configuration file into a raw tree in which every key and value keeps the line
// and column it was written at. YAML and JSON go through `yaml` (JSON is also checked against
// the strict JSON grammar); TOML goes through `smol-toml`, with positions recovered by a
// small scanner over the source text.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document as YamlDocument,
  type Node as YamlNode,
} from 'yaml';
import { ConfigError } from '../errors.js';
import type { Diagnostic } from '../model/types.js';

export type ConfigFormat = 'yaml' | 'toml' | 'json';

export interface Position {
  line: number; // 1-based; 0 when unknown
  column: number; // 1-based; 0 when unknown
}

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

const EXTENSIONS: Record<string, ConfigFormat> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.toml': 'toml',
  '.json': 'json',
};

const UNKNOWN: Position = { line: 0, column: 0 };

/** The format a file name implies, or undefined for an unsupported extension. */
export function formatOf(file: string): ConfigFormat | undefined {
  return EXTENSIONS[extname(file).toLowerCase()];
}

function fileError(file: string, code: string, message: string, hint: string, pos = UNKNOWN) {
  return new ConfigError([
    {
      severity: 'error',
      code,
      message,
      hint,
      source: { file, line: pos.line, column: pos.column, option: '' },
    },
  ]);
}

/** Read and parse a configuration file. Throws ConfigError on unreadable files or bad syntax. */
export function loadFile(file: string): LoadedConfig {
  const format = formatOf(file);
  if (format === undefined) {
    const ext = extname(file);
    throw fileError(
      file,
      'unknown-format',
      `${file}: cannot tell the configuration format from the extension ${ext === '' ? '(none)' : `"${ext}"`}; expected .yaml, .yml, .toml or .json`,
      'rename the file so that it ends in .yaml, .yml, .toml or .json',
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (error as Error).message;
    throw fileError(
      file,
      'unreadable',
      `${file}: cannot read the configuration file: ${reason}`,
      code === 'ENOENT'
        ? 'create it, or point --config at an existing file'
        : 'check the path and its permissions',
    );
  }
  return parseText(text, file, format);
}

/** Parse configuration text; `format` defaults to the one `file`'s extension implies. */
export function parseText(text: string, file: string, format?: ConfigFormat): LoadedConfig {
  const fmt = format ?? formatOf(file) ?? 'yaml';
  // A byte order mark is not content.
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (fmt === 'toml') return parseTomlText(src, file);
  return parseYamlText(src, file, fmt);
}

// ---------------------------------------------------------------------------------------
// YAML and JSON

function parseYamlText(text: string, file: string, format: 'yaml' | 'json'): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
  });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const label = format === 'json' ? 'JSON' : 'YAML';
  // For JSON, the strict grammar's first violation is more precise than what YAML makes of it.
  const problem = format === 'json' ? checkStrictJson(text) : undefined;
  if (problem !== undefined) {
    throw new ConfigError([
      {
        severity: 'error',
        code: 'json-syntax',
        message: `JSON syntax error: ${problem.message}`,
        hint: syntaxHint('json'),
        source: { file, ...at(problem.offset), option: '' },
      },
    ]);
  }
  const errors: Diagnostic[] = doc.errors.map((e) => ({
    severity: 'error',
    code: `${format}-syntax`,
    message: `${label} syntax error: ${firstLine(e.message)}`,
    hint: syntaxHint(format),
    source: { file, ...at(e.pos[0]), option: '' },
  }));
  if (errors.length > 0) throw new ConfigError(errors);
  const warnings: Diagnostic[] = doc.warnings.map((w) => ({
    severity: 'warning',
    code: `${format}-warning`,
    message: firstLine(w.message),
    source: { file, ...at(w.pos[0]), option: '' },
  }));
  const root =
    doc.contents === null
      ? ({ kind: 'scalar', pos: { line: 1, column: 1 }, value: null } satisfies RawScalar)
      : fromYaml(doc.contents, doc, at, 0);
  return { file, format, root, diagnostics: warnings };
}

function syntaxHint(format: ConfigFormat): string {
  switch (format) {
    case 'json':
      return 'fix the JSON at this position (strings in double quotes, no trailing commas, no comments)';
    case 'toml':
      return 'fix the TOML at this position (keys that contain "/" must be quoted: [persistence."/persist"])';
    default:
      return 'fix the YAML at this position (check the indentation and that "key: value" pairs have a space after the colon)';
  }
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '').trim();
}

function fromYaml(
  node: unknown,
  doc: YamlDocument,
  at: (offset: number) => Position,
  depth: number,
): RawNode {
  const pos = (n: unknown): Position => {
    const range = (n as YamlNode | null)?.range;
    return range ? at(range[0]) : UNKNOWN;
  };
  if (depth > 200) return { kind: 'scalar', pos: pos(node), value: null };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) return { kind: 'scalar', pos: pos(node), value: null };
    return fromYaml(target, doc, at, depth + 1);
  }
  if (isMap(node)) {
    const entries: RawEntry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      const key = isScalar(keyNode) ? String(keyNode.value ?? '') : String(keyNode ?? '');
      const keyPos = pos(keyNode);
      const value =
        pair.value === null || pair.value === undefined
          ? ({ kind: 'scalar', pos: keyPos, value: null } satisfies RawScalar)
          : fromYaml(pair.value, doc, at, depth + 1);
      entries.push({ key, keyPos, value });
    }
    return { kind: 'map', pos: pos(node), entries };
  }
  if (isSeq(node)) {
    return {
      kind: 'seq',
      pos: pos(node),
      items: node.items.map((item) =>
        item === null || item === undefined
          ? ({ kind: 'scalar', pos: pos(node), value: null } satisfies RawScalar)
          : fromYaml(item, doc, at, depth + 1),
      ),
    };
  }
  if (isScalar(node)) {
    const scalar: RawScalar = { kind: 'scalar', pos: pos(node), value: scalarValue(node.value) };
    if (typeof node.source === 'string') scalar.text = node.source;
    return scalar;
  }
  return { kind: 'scalar', pos: pos(node), value: scalarValue(node) };
}

function scalarValue(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * The strict JSON grammar, which YAML is more forgiving than: returns the first violation
 * (trailing commas, comments, single quotes, bare words...) or undefined when the text is JSON.
 */
export function checkStrictJson(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (message: string): never => {
    throw { offset: i, message };
  };
  const describe = () => (i >= text.length ? 'end of file' : `\`${text[i]}\``);
  const str = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail('invalid escape sequence in a string');
        continue;
      }
      if (c.charCodeAt(0) < 0x20)
        fail('a string must not contain a raw control character or newline');
      i++;
    }
    fail('unterminated string');
  };
  const value = (depth: number): void => {
    if (depth > 500) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe()}`);
        str();
        ws();
        if (text[i] !== ':') fail(`expected ":" after the property name, found ${describe()}`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('trailing comma before "}"');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected "," or "}" after a property value, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('trailing comma before "]"');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected "," or "]" after an array element, found ${describe()}`);
      }
    }
    if (c === '"') {
      str();
      return;
    }
    const rest = text.slice(i);
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(rest);
    if (m && !/^[\w.]/.test(rest.slice(m[0].length))) {
      i += m[0].length;
      return;
    }
    if (c === '/' || c === '#') fail('comments are not allowed in JSON');
    if (c === "'") fail('strings must use double quotes in JSON');
    fail(
      `unexpected ${describe()}; expected a value (string, number, true, false, null, object or array)`,
    );
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the document`);
    return undefined;
  } catch (problem) {
    if (typeof problem === 'object' && problem !== null && 'offset' in problem) {
      return problem as { offset: number; message: string };
    }
    throw problem;
  }
}

// ---------------------------------------------------------------------------------------
// TOML

function parseTomlText(text: string, file: string): LoadedConfig {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const message = firstLine(error.message.replace(/^Invalid TOML document: /, ''));
      throw new ConfigError([
        {
          severity: 'error',
          code: 'toml-syntax',
          message: `TOML syntax error: ${message}`,
          hint: syntaxHint('toml'),
          source: { file, line: error.line, column: error.column, option: '' },
        },
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

interface TomlPos {
  key: Position;
  value: Position;
  text?: string;
}

type Segment = string | number;

const pathKey = (path: readonly Segment[]) => JSON.stringify(path);

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

/**
 * Positions of the keys and values of a TOML document that smol-toml has already accepted:
 * tracks table headers, arrays of tables, dotted keys, inline tables and arrays.
 */
export function scanTomlPositions(text: string): Map<string, TomlPos> {
  const out = new Map<string, TomlPos>();
  const arrayCounts = new Map<string, number>();
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): Position => ({ line, column: i - lineStart + 1 });
  const advance = (n = 1) => {
    for (let k = 0; k < n && i < text.length; k++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
      i++;
    }
  };
  const skip = (newlines: boolean) => {
    while (i < text.length) {
      const c = text[i]!;
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) advance();
      else if (c === '#') {
        while (i < text.length && text[i] !== '\n') advance();
      } else break;
    }
  };
  const record = (path: Segment[], key: Position, value: Position, raw?: string) => {
    const k = pathKey(path);
    if (!out.has(k)) out.set(k, raw === undefined ? { key, value } : { key, value, text: raw });
  };
  const readString = (): string => {
    const start = i;
    const q = text[i]!;
    const multi = text.startsWith(q.repeat(3), i);
    if (multi) {
      advance(3);
      while (i < text.length && !text.startsWith(q.repeat(3), i)) {
        if (q === '"' && text[i] === '\\') advance();
        advance();
      }
      advance(3);
      while (text[i] === q) advance(); // up to two quotes may close the string
    } else {
      advance();
      while (i < text.length && text[i] !== q && text[i] !== '\n') {
        if (q === '"' && text[i] === '\\') advance();
        advance();
      }
      advance();
    }
    return text.slice(start, i);
  };
  const unquote = (raw: string): string => {
    if (raw.startsWith("'")) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw.slice(1, -1);
    }
  };
  const readKey = (): { segments: string[]; pos: Position } => {
    const segments: string[] = [];
    skip(false);
    const pos = here();
    for (;;) {
      skip(false);
      const c = text[i];
      if (c === '"' || c === "'") segments.push(unquote(readString()));
      else {
        const start = i;
        while (i < text.length && /[A-Za-z0-9_-]/.test(text[i]!)) advance();
        if (i === start) break;
        segments.push(text.slice(start, i));
      }
      skip(false);
      if (text[i] === '.') advance();
      else break;
    }
    return { segments, pos };
  };
  const readBare = (): string => {
    const start = i;
    while (i < text.length && !/[\s,\]}#]/.test(text[i]!)) advance();
    // A date and a time may be separated by a single space.
    if (/^\d{4}-\d{2}-\d{2}$/.test(text.slice(start, i)) && /^ \d{2}:/.test(text.slice(i, i + 4))) {
      advance();
      while (i < text.length && !/[\s,\]}#]/.test(text[i]!)) advance();
    }
    return text.slice(start, i);
  };
  const readValue = (path: Segment[], keyPos: Position): void => {
    skip(false);
    const pos = here();
    const c = text[i];
    if (c === '[') {
      record(path, keyPos, pos);
      advance();
      let index = 0;
      for (;;) {
        skip(true);
        if (text[i] === ']' || i >= text.length) {
          advance();
          return;
        }
        const itemPos = here();
        readValue([...path, index], itemPos);
        index++;
        skip(true);
        if (text[i] === ',') advance();
      }
    }
    if (c === '{') {
      record(path, keyPos, pos);
      advance();
      for (;;) {
        skip(true);
        if (text[i] === '}' || i >= text.length) {
          advance();
          return;
        }
        const key = readKey();
        readAssignment(path, key);
        skip(true);
        if (text[i] === ',') advance();
      }
    }
    const raw = c === '"' || c === "'" ? readString() : readBare();
    record(path, keyPos, pos, raw);
  };
  const readAssignment = (base: Segment[], key: { segments: string[]; pos: Position }) => {
    const full = [...base, ...key.segments];
    for (let n = base.length + 1; n < full.length; n++) record(full.slice(0, n), key.pos, key.pos);
    skip(false);
    if (text[i] === '=') advance();
    readValue(full, key.pos);
  };
  // Resolve a header's key path, stepping into the last element of arrays of tables.
  const resolve = (segments: string[], isArrayTable: boolean): Segment[] => {
    const path: Segment[] = [];
    segments.forEach((segment, n) => {
      path.push(segment);
      const last = n === segments.length - 1;
      const k = pathKey(path);
      if (last && isArrayTable) {
        const count = arrayCounts.get(k) ?? 0;
        arrayCounts.set(k, count + 1);
        path.push(count);
      } else if (arrayCounts.has(k)) {
        path.push((arrayCounts.get(k) ?? 1) - 1);
      }
    });
    return path;
  };
  let table: Segment[] = [];
  while (i < text.length) {
    skip(true);
    if (i >= text.length) break;
    if (text[i] === '[') {
      const headerPos = here();
      const isArrayTable = text[i + 1] === '[';
      advance(isArrayTable ? 2 : 1);
      const key = readKey();
      skip(false);
      advance(isArrayTable ? 2 : 1);
      table = resolve(key.segments, isArrayTable);
      for (let n = 1; n <= table.length; n++) record(table.slice(0, n), headerPos, headerPos);
      continue;
    }
    const key = readKey();
    if (key.segments.length === 0) {
      // Not something this scanner understands; skip the line.
      while (i < text.length && text[i] !== '\n') advance();
      continue;
    }
    readAssignment(table, key);
  }
  return out;
}
