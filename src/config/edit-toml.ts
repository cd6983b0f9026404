// Adding an entry to TOML text without rewriting it. smol-toml reads values only, so a small
// scanner finds where each table, key and array is written; the entry is then inserted where
// it belongs (into the array, as a key in the table's section, into an inline table, or as a
// new `[table]`), and each candidate edit is kept only if the result parses to exactly the
// data expected.

import { ConfigEditError } from '../errors.js';
import type { EditPlan } from './edit-plan.js';
import {
  applyEdits,
  type Edit,
  eolOf,
  indentOf,
  insertIntoList,
  type ListStyle,
  lineEnd,
  lineStart,
  type Span,
} from './edit-text.js';
import type { Segment } from './raw.js';
import { optionPath } from './reporter.js';

interface Section {
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

interface Value {
  kind: 'array' | 'inline' | 'scalar';
  start: number;
  end: number;
  /** Elements of an array, members of an inline table. */
  items: Span[];
}

interface Scan {
  sections: Section[];
  /** Every value by its path. */
  values: Map<string, Value>;
  /** Tables created by dotted keys (`a.b = 1` creates `a`), with the section holding the key. */
  dotted: Map<string, number>;
}

const pathKey = (path: readonly Segment[]) => JSON.stringify(path);

const startsWith = (path: readonly Segment[], prefix: readonly Segment[]) =>
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

/** Where the tables, keys and values of TOML text (already known to be valid) are written. */
function scanToml(text: string): Scan {
  const n = text.length;
  let i = 0;
  const fail = (): never => {
    throw new ConfigEditError(`cannot follow the TOML text near offset ${i}`);
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
  const record = (path: Segment[], value: Value) => {
    const k = pathKey(path);
    if (!values.has(k)) values.set(k, value);
  };
  const readValue = (path: Segment[]): void => {
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
        if (c === '[') readValue([...path, index]);
        else {
          const key = readKey();
          skipSpace();
          if (key.length === 0 || text[i] !== '=') fail();
          i++;
          skipSpace();
          readValue([...path, ...key]);
        }
        items.push({ start: s, end: i });
        skipAll();
        if (text[i] === ',') i++;
      }
      record(path, { kind: c === '[' ? 'array' : 'inline', start, end: i, items });
      return;
    }
    if (c === '"' || c === "'") readString();
    else readBare();
    record(path, { kind: 'scalar', start, end: i, items: [] });
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
  for (;;) {
    skipAll();
    if (i >= n) break;
    const ls = lineStart(text, i);
    const current = sections[sections.length - 1]!;
    if (text[i] === '[') {
      current.end = ls;
      const isArray = text[i + 1] === '[';
      i += isArray ? 2 : 1;
      const keys = readKey();
      skipSpace();
      if (keys.length === 0 || text[i] !== ']') fail();
      i += isArray ? 2 : 1;
      sections.push({
        keys,
        path: resolve(keys, isArray),
        isArray,
        start: ls,
        headerEnd: lineEnd(text, i),
        end: n,
        lastContentEnd: -1,
        indent: '',
      });
      continue;
    }
    const keys = readKey();
    skipSpace();
    if (keys.length === 0 || text[i] !== '=') fail();
    i++;
    skipSpace();
    const full = [...current.path, ...keys];
    for (let m = current.path.length + 1; m < full.length; m++) {
      const k = pathKey(full.slice(0, m));
      if (!dotted.has(k)) dotted.set(k, sections.length - 1);
    }
    readValue(full);
    current.lastContentEnd = lineEnd(text, i);
    current.indent = indentOf(text, ls);
  }
  return { sections, values, dotted };
}

/** A key as TOML writes it: bare when it can be, else a basic string. */
const tomlKey = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));
const dottedKey = (keys: readonly string[]) => keys.map(tomlKey).join('.');

interface Candidate {
  edits: Edit[];
  /** What the list gets: the path, or an entry table for an array of tables. */
  item: unknown;
}

class TomlEditor {
  private readonly eol: string;
  private readonly scan: Scan;
  private readonly literal: boolean;

  constructor(
    private readonly text: string,
    private readonly plan: EditPlan,
  ) {
    this.eol = eolOf(text);
    this.scan = scanToml(text);
    // Literal strings ('/var/log') when the list, or failing that every path list, uses them.
    const quotes = (v: Value | undefined) =>
      (v?.kind === 'array' ? v.items : [])
        .map((s) => this.text[s.start])
        .filter((c) => c === '"' || c === "'");
    const own = quotes(this.scan.values.get(pathKey(plan.segments)));
    const all = [...this.scan.values.entries()]
      .filter(([k]) => /"(directories|files)"\]$/.test(k))
      .flatMap(([, v]) => quotes(v));
    const chosen = own.length > 0 ? own : all;
    this.literal = chosen.length > 0 && chosen.every((c) => c === "'");
  }

  private string(v: string): string {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: literal strings cannot hold them
    if (this.literal && !/['\u0000-\u001f\u007f]/.test(v)) return `'${v}'`;
    return JSON.stringify(v);
  }

  private get array(): string {
    return `[${this.string(this.plan.value)}]`;
  }

  private listStyle(pad: string): ListStyle {
    return { eol: this.eol, unit: '  ', sep: ', ', comment: '#', pad, expandEmpty: false };
  }

  /** The candidate edits, most natural first. */
  candidates(): Candidate[] {
    const { segments, existing } = this.plan;
    const { sections, values, dotted } = this.scan;
    const out: Candidate[] = [];
    const item = this.plan.value;
    if (existing === segments.length) {
      const v = values.get(pathKey(segments));
      if (v?.kind === 'array' && this.text[v.start] === '[' && this.text[v.end - 1] === ']') {
        const list = { open: v.start, close: v.end - 1, items: v.items };
        const render = () => this.string(item);
        out.push({ edits: insertIntoList(this.text, list, render, this.listStyle('')), item });
      }
      const tables = sections.filter((s) => s.isArray && pathKey(s.keys) === pathKey(segments));
      if (tables.length > 0) {
        const entryKey = this.plan.kind;
        const last = [...sections].reverse().find((s) => startsWith(s.keys, segments))!;
        const insert = `${this.eol}${this.eol}[[${dottedKey(segments)}]]${this.eol}${tables[tables.length - 1]!.indent}${entryKey} = ${this.string(item)}`;
        out.push({ edits: [{ at: this.sectionEnd(last), insert }], item: { [entryKey]: item } });
      }
      return out;
    }
    const q = segments.slice(0, existing);
    const rest = segments.slice(existing);
    const header =
      q.length > 0 ? sections.find((s) => !s.isArray && pathKey(s.path) === pathKey(q)) : undefined;
    const dottedIn = dotted.get(pathKey(q));
    const inline = values.get(pathKey(q));
    const line = (s: Section | undefined, keys: string[]) => {
      if (s === undefined || (s.lastContentEnd < 0 && s.headerEnd === 0)) return;
      const at = s.lastContentEnd >= 0 ? s.lastContentEnd : s.headerEnd;
      const insert = `${this.eol}${s.indent}${dottedKey(keys)} = ${this.array}`;
      out.push({ edits: [{ at, insert }], item });
    };
    if (header !== undefined && rest.length === 1) line(header, rest);
    if (dottedIn !== undefined) {
      const s = sections[dottedIn]!;
      line(s, [...q.slice(s.path.length), ...rest]);
    }
    if (inline?.kind === 'inline') {
      const list = { open: inline.start, close: inline.end - 1, items: inline.items };
      const nested = (keys: string[]): string =>
        keys.length === 0 ? this.array : `{ ${tomlKey(keys[0]!)} = ${nested(keys.slice(1))} }`;
      const render = () => `${tomlKey(rest[0]!)} = ${nested(rest.slice(1))}`;
      if (this.text[list.open] === '{' && this.text[list.close] === '}') {
        out.push({ edits: insertIntoList(this.text, list, render, this.listStyle(' ')), item });
      }
    }
    if (
      rest.length >= 2 ||
      (header === undefined && dottedIn === undefined && inline === undefined)
    ) {
      const table = [...q, ...rest.slice(0, -1)];
      const body = `[${dottedKey(table)}]${this.eol}${tomlKey(rest[rest.length - 1]!)} = ${this.array}`;
      const after =
        q.length === 0
          ? undefined
          : [...sections].reverse().find((s) => s.keys.length > 0 && startsWith(s.path, q));
      if (after !== undefined) {
        out.push({
          edits: [{ at: this.sectionEnd(after), insert: `${this.eol}${this.eol}${body}` }],
          item,
        });
      } else {
        out.push({ edits: [this.append(body)], item });
      }
    }
    if (header !== undefined && rest.length >= 2) line(header, rest);
    if (q.length === 0) line(sections[0], rest);
    return out;
  }

  /**
   * Where a section's content ends: before the blank lines that close it, and before the
   * comments written just above the next header (which belong to that header).
   */
  private sectionEnd(s: Section): number {
    const t = this.text;
    const lines: Span[] = [];
    let p = s.headerEnd === 0 ? 0 : t.indexOf('\n', s.headerEnd) + 1;
    if (p === 0 && s.headerEnd !== 0) p = t.length;
    while (p < s.end) {
      const e = lineEnd(t, p);
      lines.push({ start: p, end: e });
      const nl = t.indexOf('\n', e);
      p = nl < 0 ? t.length : nl + 1;
    }
    let k = lines.length;
    if (s.end < t.length) {
      while (
        k > 0 &&
        t
          .slice(lines[k - 1]!.start, lines[k - 1]!.end)
          .trim()
          .startsWith('#')
      )
        k--;
    }
    while (k > 0 && t.slice(lines[k - 1]!.start, lines[k - 1]!.end).trim() === '') k--;
    const end = k > 0 ? lines[k - 1]!.end : s.headerEnd;
    return Math.max(end, s.lastContentEnd);
  }

  /** A new section at the end of the text, after a blank line. */
  private append(body: string): Edit {
    const t = this.text;
    let sep = '';
    if (t.trim() !== '') {
      if (!t.endsWith('\n')) sep = this.eol + this.eol;
      else if (!/\n[ \t]*\r?\n$/.test(t)) sep = this.eol;
    }
    return { at: t.length, insert: sep + body + this.eol };
  }
}

/**
 * `text` (TOML) with the plan's entry added; `accept` checks a candidate result (it parses, and
 * to the data expected with `item` added). The first accepted candidate is returned.
 */
export function editTomlText(
  text: string,
  plan: EditPlan,
  accept: (candidate: string, item: unknown) => boolean,
): string {
  const editor = new TomlEditor(text, plan);
  for (const c of editor.candidates()) {
    const candidate = applyEdits(text, c.edits);
    if (accept(candidate, c.item)) return candidate;
  }
  throw new ConfigEditError(
    `cannot add to ${optionPath(plan.segments)}: the TOML file's layout leaves no place where the entry can be inserted safely`,
  );
}
