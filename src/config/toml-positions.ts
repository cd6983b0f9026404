// Where each key and value of a TOML document was written: smol-toml gives values only, so a
// small scanner over the source text recovers the positions (and the text of scalars).

import type { Position, Segment } from './raw.js';

export interface TomlPos {
  key: Position;
  value: Position;
  text?: string;
}

/** The key of a path in the map scanTomlPositions returns. */
export const pathKey = (path: readonly Segment[]) => JSON.stringify(path);

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
