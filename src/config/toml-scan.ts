// Where the tables, keys and values of TOML text are written. smol-toml reads values only; this
// one scanner, run on text smol-toml has already accepted, serves both the positions of the
// configuration's diagnostics (toml-positions.ts) and the in-place edits of `keepsake add`
// (edit-toml.ts). Offsets are UTF-16 indexes into the text. Pure.

import { indentOf, lineEnd, lineStart, type Span } from './edit-text.js';
import type { Segment } from './raw.js';

export interface Section {
  /** The header's keys as written (unquoted); empty for the part before the first header. */
  keys: string[];
  /** The table's path, with the index of the element for arrays of tables. */
  path: Segment[];
  isArray: boolean;
  /** Start of the header's line (0 for the part before the first header). */
  start: number;
  /** End of the header's line (0 for the part before the first header). */
  headerEnd: number;
  /** Start of the next header's line, or the end of the text. */
  end: number;
  /** End of the line of the section's last key/value, or -1. */
  lastContentEnd: number;
  /** Indentation of the section's last key/value line. */
  indent: string;
}

export interface Value {
  kind: 'array' | 'inline' | 'scalar';
  /** Where its key is written (an array's element: the element itself). */
  keyStart: number;
  start: number;
  end: number;
  /** Elements of an array, members of an inline table. */
  items: Span[];
}

export interface Scan {
  sections: Section[];
  /** Every value by its path. */
  values: Map<string, Value>;
  /** Tables created by dotted keys (`a.b = 1` creates `a`), with the section holding the key. */
  dotted: Map<string, number>;
  /**
   * Every table by its path, with the offset of what first opened it: a header (`[a.b]` opens
   * `a` and `a.b`), or a dotted key (`a.b = 1` opens `a`), top level or inline.
   */
  tables: Map<string, number>;
  /** Where the scanner met text it cannot follow, if it did; what came before is scanned. */
  stoppedAt?: number;
}

/** The key of a path in the maps of a scan. */
export const pathKey = (path: readonly Segment[]) => JSON.stringify(path);

export const startsWith = (path: readonly Segment[], prefix: readonly Segment[]) =>
  prefix.length <= path.length && prefix.every((p, i) => path[i] === p);

const ESCAPES: Record<string, string> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  e: '\x1b',
  '"': '"',
  '\\': '\\',
};

/** The value of a single-line key string (basic or literal). */
function unquoteKey(raw: string): string {
  if (raw.startsWith("'")) return raw.slice(1, -1);
  return raw
    .slice(1, -1)
    .replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e) => {
      const s = e as string;
      if (s.length > 1) return String.fromCodePoint(Number.parseInt(s.slice(1), 16));
      return ESCAPES[s] ?? s;
    });
}

class Stop {}

/** Where the tables, keys and values of TOML text (already known to be valid) are written. */
export function scanToml(text: string): Scan {
  const n = text.length;
  let i = 0;
  const fail = (): never => {
    throw new Stop();
  };
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const skipAll = () => {
    for (;;) {
      skipSpace();
      if (text[i] === '#') while (i < n && text[i] !== '\n') i++;
      if (text[i] === '\n' || text[i] === '\r') i++;
      else return;
    }
  };
  const readString = (): string => {
    const start = i;
    const q = text[i]!;
    if (text.startsWith(q.repeat(3), i)) {
      i += 3;
      while (i < n && !text.startsWith(q.repeat(3), i)) i += q === '"' && text[i] === '\\' ? 2 : 1;
      i += 3;
      while (text[i] === q) i++; // up to two quotes may close the string
    } else {
      i++;
      while (i < n && text[i] !== q && text[i] !== '\n') i += q === '"' && text[i] === '\\' ? 2 : 1;
      i++;
    }
    return text.slice(start, i);
  };
  const readKey = (): string[] => {
    const segments: string[] = [];
    for (;;) {
      skipSpace();
      const c = text[i];
      if (c === '"' || c === "'") segments.push(unquoteKey(readString()));
      else {
        const start = i;
        while (i < n && /[A-Za-z0-9_-]/.test(text[i]!)) i++;
        if (i === start) break;
        segments.push(text.slice(start, i));
      }
      skipSpace();
      if (text[i] !== '.') break;
      i++;
    }
    return segments;
  };
  const readBare = () => {
    const start = i;
    while (i < n && !/[\s,\]}#]/.test(text[i]!)) i++;
    // A date and a time may be separated by a single space.
    if (/^\d{4}-\d{2}-\d{2}$/.test(text.slice(start, i)) && /^ \d{2}:/.test(text.slice(i, i + 4))) {
      i++;
      while (i < n && !/[\s,\]}#]/.test(text[i]!)) i++;
    }
    if (i === start) fail();
  };
  const values = new Map<string, Value>();
  const tables = new Map<string, number>();
  const record = (path: Segment[], value: Value) => {
    const k = pathKey(path);
    if (!values.has(k)) values.set(k, value);
  };
  const opened = (path: Segment[], at: number) => {
    const k = pathKey(path);
    if (!tables.has(k)) tables.set(k, at);
  };
  /** `a.b.c = …` under `base` opens `base.a` and `base.a.b`. */
  const openDotted = (base: Segment[], keys: string[], at: number) => {
    for (let m = 1; m < keys.length; m++) opened([...base, ...keys.slice(0, m)], at);
  };
  const readValue = (path: Segment[], keyStart: number): void => {
    const start = i;
    const c = text[i];
    if (c === '[' || c === '{') {
      const close = c === '[' ? ']' : '}';
      i++;
      const items: Span[] = [];
      for (let index = 0; ; index++) {
        skipAll();
        if (i >= n) fail();
        if (text[i] === close) {
          i++;
          break;
        }
        const s = i;
        if (c === '[') readValue([...path, index], s);
        else {
          const key = readKey();
          skipSpace();
          if (key.length === 0 || text[i] !== '=') fail();
          i++;
          skipSpace();
          openDotted(path, key, s);
          readValue([...path, ...key], s);
        }
        items.push({ start: s, end: i });
        skipAll();
        if (text[i] === ',') i++;
      }
      record(path, { kind: c === '[' ? 'array' : 'inline', keyStart, start, end: i, items });
      return;
    }
    if (c === '"' || c === "'") readString();
    else readBare();
    record(path, { kind: 'scalar', keyStart, start, end: i, items: [] });
  };
  const root: Section = {
    keys: [],
    path: [],
    isArray: false,
    start: 0,
    headerEnd: 0,
    end: n,
    lastContentEnd: -1,
    indent: '',
  };
  const sections: Section[] = [root];
  const dotted = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  // A header's path, stepping into the last element of arrays of tables.
  const resolve = (segments: string[], isArray: boolean): Segment[] => {
    const path: Segment[] = [];
    segments.forEach((segment, k) => {
      path.push(segment);
      const key = pathKey(path);
      if (k === segments.length - 1 && isArray) {
        const count = arrayCounts.get(key) ?? 0;
        arrayCounts.set(key, count + 1);
        path.push(count);
      } else if (arrayCounts.has(key)) {
        path.push((arrayCounts.get(key) ?? 1) - 1);
      }
    });
    return path;
  };
  const scanLines = () => {
    for (;;) {
      skipAll();
      if (i >= n) break;
      const ls = lineStart(text, i);
      const current = sections[sections.length - 1]!;
      if (text[i] === '[') {
        const headerStart = i;
        current.end = ls;
        const isArray = text[i + 1] === '[';
        i += isArray ? 2 : 1;
        const keys = readKey();
        skipSpace();
        if (keys.length === 0 || text[i] !== ']') fail();
        i += isArray ? 2 : 1;
        const path = resolve(keys, isArray);
        for (let m = 1; m <= path.length; m++) opened(path.slice(0, m), headerStart);
        sections.push({
          keys,
          path,
          isArray,
          start: ls,
          headerEnd: lineEnd(text, i),
          end: n,
          lastContentEnd: -1,
          indent: '',
        });
        continue;
      }
      const keyStart = i;
      const keys = readKey();
      skipSpace();
      if (keys.length === 0 || text[i] !== '=') fail();
      i++;
      skipSpace();
      openDotted(current.path, keys, keyStart);
      const full = [...current.path, ...keys];
      for (let m = current.path.length + 1; m < full.length; m++) {
        const k = pathKey(full.slice(0, m));
        if (!dotted.has(k)) dotted.set(k, sections.length - 1);
      }
      readValue(full, keyStart);
      current.lastContentEnd = lineEnd(text, i);
      current.indent = indentOf(text, ls);
    }
  };
  try {
    scanLines();
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { sections, values, dotted, tables, stoppedAt: i };
  }
  return { sections, values, dotted, tables };
}
