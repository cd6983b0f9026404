// Reading the YAML that configurations are written in (block maps and lists of plain or quoted
// scalars, with one-line flow collections such as `{ directory: /a, mode: "0700" }`) without the
// `yaml` library, whose loading and parsing cost more than everything else a first apply does
// before its first mount. The tree is the one the YAML-based reader (read-yaml.ts) makes of the
// same text, line and column of every key and value included (the tests compare both over
// every YAML text they have), so every message reads the same either way.
//
// Whatever this reader is not sure of, it leaves to the YAML-based reader by returning
// undefined: anchors, aliases, tags, block scalars, multi-line scalars, documents markers and
// directives, tabs, carriage returns, escapes beyond JSON's, keys written twice, numbers other
// than plain decimal integers, anything over the limits, and anything it finds malformed (so
// that the YAML-based reader reports it).

import { LIMITS } from './limits.js';
import type { LoadedConfig, Position, RawEntry, RawNode, RawScalar } from './raw.js';

/** YAML reads an implicit key only when it is at most this long. */
const YAML_KEY_LIMIT = 1024;

class Defer extends Error {}

function defer(): never {
  throw new Defer();
}

/** One line that holds something: its indentation, and its text without a trailing comment. */
interface Line {
  /** 1-based. */
  number: number;
  /** Offset of the line's first character in the text. */
  start: number;
  /** Offset where the part still to be read begins (after the indentation, or a `- `). */
  at: number;
  /** Offset where that part ends (before a comment and trailing spaces). */
  end: number;
}

const SPACE = 32;

/** A plain scalar may not begin with these (some only before a space; all are left alone). */
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`');

/** A scalar the core schema would read as something other than a string, an integer, true,
 *  false or null: left to the YAML-based reader. */
const OTHER_SCALAR =
  /^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+|\.[0-9]+[eE][-+]?[0-9]+)|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|0o[0-7]+|0x[0-9a-fA-F]+)$/;

/** JSON's escapes, which mean the same in YAML's double-quoted scalars. */
const JSON_ESCAPES = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/g;

class Reader {
  private readonly lines: Line[] = [];
  private nodes = 0;
  /** Characters of keys and string values, counted as the YAML-based reader counts them. */
  private chars = 0;
  /** The offset of a `#` at or after the line being read, -1 when there is none. */
  private hash = -2;
  /** Where the value value() or flow() last read ends (returned this way: no pair is made
   *  for each of the thousands of values). */
  private after = 0;

  constructor(private readonly text: string) {
    let number = 0;
    for (let start = 0; start < text.length; ) {
      let nl = text.indexOf('\n', start);
      if (nl === -1) nl = text.length;
      number++;
      this.addLine(number, start, nl);
      start = nl + 1;
    }
  }

  private addLine(number: number, start: number, stop: number): void {
    const { text } = this;
    let at = start;
    while (at < stop && text.charCodeAt(at) === SPACE) at++;
    if (at === stop || text[at] === '#') return;
    let end = stop;
    // A comment starts at a `#` after a space, outside quotes; quotes are read again later (a
    // quote left open on its line is left alone there).
    // The next `#` of the text, found again only once a line starts past it: searched from
    // every line, a file without a comment would be read to its end once per line.
    if (this.hash !== -1 && this.hash < at) this.hash = text.indexOf('#', at);
    const { hash } = this;
    let quote = '';
    for (let i = hash === -1 || hash >= stop ? stop : at; i < stop; i++) {
      const c = text[i]!;
      if (quote !== '') {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") {
        // A quote inside a plain scalar is just a character.
        const before = i === at ? ' ' : text[i - 1]!;
        if (before === ' ' || before === '[' || before === '{' || before === ',') quote = c;
      } else if (c === '#' && text.charCodeAt(i - 1) === SPACE) {
        end = i;
        break;
      }
    }
    if (quote !== '') defer(); // a quoted scalar going on to the next line
    while (text.charCodeAt(end - 1) === SPACE) end--;
    this.lines.push({ number, start, at, end });
  }

  private pos(line: Line, offset: number): Position {
    return { line: line.number, column: offset - line.start + 1 };
  }

  private count(depth: number): void {
    if (++this.nodes > LIMITS.nodes || depth > LIMITS.depth) defer();
  }

  private countText(value: unknown): void {
    if (typeof value !== 'string') return;
    this.chars += value.length;
    if (this.chars > LIMITS.text) defer();
  }

  root(): RawNode {
    // Tabs, carriage returns and other control characters (what the pattern is for).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are looked for
    if (/[\x00-\x09\x0b-\x1f]/.test(this.text)) defer();
    if (this.lines.length === 0) defer();
    const first = this.lines[0]!;
    const [node, next] = this.block(0, first.at - first.start, 0);
    if (next !== this.lines.length) defer();
    return node;
  }

  private indent(line: Line): number {
    return line.at - line.start;
  }

  private isItem(line: Line): boolean {
    return this.isItemAt(line.at, line.end);
  }

  /** Whether the text from `at` (up to `end`, a line's) begins a list item. */
  private isItemAt(at: number, end: number): boolean {
    const { text } = this;
    return text[at] === '-' && (at + 1 === end || text.charCodeAt(at + 1) === SPACE);
  }

  /** The block collection whose first line is lines[i], at `indent`; returns the next line. */
  private block(i: number, indent: number, depth: number): [RawNode, number] {
    const line = this.lines[i]!;
    const t = this.text;
    if (t.startsWith('---', line.at) || t.startsWith('...', line.at) || t[line.at] === '%') defer();
    return this.isItem(line) ? this.seq(i, indent, depth) : this.map(i, indent, depth);
  }

  private seq(i: number, indent: number, depth: number): [RawNode, number] {
    const first = this.lines[i]!;
    this.count(depth);
    const items: RawNode[] = [];
    const pos = this.pos(first, first.at);
    let j = i;
    while (j < this.lines.length) {
      const line = this.lines[j]!;
      // A list at its key's indentation ends at the next key; the map above reads it.
      const own = line.at - line.start;
      if (own < indent || (own === indent && !this.isItemAt(line.at, line.end))) break;
      if (own !== indent) defer();
      // What follows the `- `: the item, read as if it were a line of its own there.
      let at = line.at + 1;
      while (at < line.end && this.text.charCodeAt(at) === SPACE) at++;
      if (at === line.end) {
        // The item on the lines below: an empty item is left to the YAML-based reader.
        const below = this.lines[j + 1];
        if (below === undefined || this.indent(below) <= indent) defer();
        const [node, next] = this.block(j + 1, this.indent(below), depth + 1);
        items.push(node);
        j = next;
        continue;
      }
      if (this.isItemAt(at, line.end)) defer(); // `- - a`
      if (this.keyEnd(at, line.end) !== undefined) {
        // `- key: value`, and the map's other keys below, aligned with the first.
        this.lines[j] = { number: line.number, start: line.start, at, end: line.end };
        const [node, next] = this.map(j, at - line.start, depth + 1);
        this.lines[j] = line;
        items.push(node);
        j = next;
        continue;
      }
      items.push(this.inline(line, at, depth + 1));
      j++;
      this.noContinuation(j, indent);
    }
    return [{ kind: 'seq', pos, items }, j];
  }

  /** A line after a value ends that value: one indented further would continue it. */
  private noContinuation(j: number, indent: number): void {
    const next = this.lines[j];
    if (next !== undefined && this.indent(next) > indent) defer();
  }

  private map(i: number, indent: number, depth: number): [RawNode, number] {
    const first = this.lines[i]!;
    this.count(depth);
    const entries: RawEntry[] = [];
    const seen = new Set<string>();
    const pos = this.pos(first, first.at);
    let j = i;
    while (j < this.lines.length) {
      const line = this.lines[j]!;
      if (this.indent(line) < indent) break;
      if (this.indent(line) !== indent || this.isItem(line)) defer();
      const colon = this.keyEnd(line.at, line.end);
      if (colon === undefined) defer();
      const key = this.key(line.at, colon);
      if (seen.has(key)) defer();
      seen.add(key);
      const keyPos = this.pos(line, line.at);
      let at = colon + 1;
      while (at < line.end && this.text.charCodeAt(at) === SPACE) at++;
      if (at < line.end) {
        entries.push({ key, keyPos, value: this.inline(line, at, depth + 1) });
        j++;
        this.noContinuation(j, indent);
        continue;
      }
      // Nothing after the colon: the value is on the lines below, or it is empty.
      const below = this.lines[j + 1];
      if (below !== undefined && this.indent(below) > indent) {
        const [value, next] = this.block(j + 1, this.indent(below), depth + 1);
        entries.push({ key, keyPos, value });
        j = next;
      } else if (below !== undefined && this.indent(below) === indent && this.isItem(below)) {
        // A list may be written at its key's own indentation.
        const [value, next] = this.seq(j + 1, indent, depth + 1);
        entries.push({ key, keyPos, value });
        j = next;
      } else {
        // Empty: where the parser puts it, after the spaces that follow the colon.
        let end = colon + 1;
        while (this.text.charCodeAt(end) === SPACE) end++;
        this.count(depth + 1);
        const value: RawScalar = {
          kind: 'scalar',
          pos: this.pos(line, end),
          value: null,
          text: '',
        };
        entries.push({ key, keyPos, value });
        j++;
      }
    }
    return [{ kind: 'map', pos, entries }, j];
  }

  /** The offset of the `:` that ends the key the text from `at` to a line's `end` starts
   *  with, or undefined for no key. */
  private keyEnd(at: number, end: number): number | undefined {
    const t = this.text;
    let i = at;
    const q = t[i];
    if (q === '"' || q === "'") {
      i = this.quotedEnd(i, end);
      return t[i] === ':' ? i : undefined;
    }
    for (; i < end; i++) {
      const c = t[i];
      if (c === ':' && (i + 1 === end || t.charCodeAt(i + 1) === SPACE)) return i;
      if (c === '{' || c === '[' || c === '"' || c === "'") return undefined;
    }
    return undefined;
  }

  /** The offset just past the quoted scalar that starts at `from`. */
  private quotedEnd(from: number, end: number): number {
    const t = this.text;
    const q = t[from]!;
    for (let i = t.indexOf(q, from + 1); i !== -1 && i < end; i = t.indexOf(q, i + 1)) {
      if (q === '"') {
        // Escaped when an odd number of backslashes come before it.
        let b = i;
        while (t[b - 1] === '\\') b--;
        if ((i - b) % 2 === 0) return i + 1;
      } else if (t[i + 1] === "'") i++;
      else return i + 1;
    }
    return defer();
  }

  private key(from: number, colon: number): string {
    if (colon - from > YAML_KEY_LIMIT) defer();
    const q = this.text[from];
    if (q === '"' || q === "'") {
      const quoted = this.quoted(from, colon);
      this.countText(quoted);
      return quoted;
    }
    const value = this.plain(this.text.slice(from, this.trimSpaces(from, colon)));
    // A key the core schema reads as a number, boolean or null is left alone, and so is the
    // merge key, which some YAML readers expand.
    if (typeof value !== 'string' || value === '<<') defer();
    this.countText(value);
    return value;
  }

  /** `to`, moved back over the spaces before it (YAML trims spaces, not other white space). */
  private trimSpaces(from: number, to: number): number {
    while (to > from && this.text.charCodeAt(to - 1) === SPACE) to--;
    return to;
  }

  /** The value of the quoted scalar from `from` to `to` (exclusive, past the closing quote). */
  private quoted(from: number, to: number): string {
    const t = this.text;
    const body = t.slice(from + 1, to - 1);
    if (t[from] === "'") return body.replaceAll("''", "'");
    if (!body.includes('\\')) return body;
    if (body.replace(JSON_ESCAPES, '').includes('\\')) defer();
    try {
      return JSON.parse(`"${body}"`) as string;
    } catch {
      return defer();
    }
  }

  /** A plain scalar's value under the core schema. */
  private plain(raw: string): string | number | boolean | null {
    if (raw === '' || INDICATORS.has(raw[0]!)) defer();
    if (raw.includes(': ') || raw.endsWith(':') || raw.includes(' #')) defer();
    switch (raw) {
      case '~':
      case 'null':
      case 'Null':
      case 'NULL':
        return null;
      case 'true':
      case 'True':
      case 'TRUE':
        return true;
      case 'false':
      case 'False':
      case 'FALSE':
        return false;
    }
    if (/^[-+]?[0-9]+$/.test(raw)) {
      if (raw.length > 15) defer();
      return Number(raw);
    }
    if (OTHER_SCALAR.test(raw)) defer();
    return raw;
  }

  /** The value that fills the rest of `line` from `at`: a scalar or a one-line flow collection. */
  private inline(line: Line, at: number, depth: number): RawNode {
    const node = this.value(line, at, line.end, depth, false);
    if (this.after !== line.end) defer();
    return node;
  }

  /** A value from `at`, in a flow collection or not; `after` is then where it ends. */
  private value(line: Line, at: number, end: number, depth: number, inFlow: boolean): RawNode {
    const t = this.text;
    const c = t[at];
    if (c === '[' || c === '{') return this.flow(line, at, end, depth);
    const pos = this.pos(line, at);
    this.count(depth);
    if (c === '"' || c === "'") {
      const stop = this.quotedEnd(at, end);
      const value = this.quoted(at, stop);
      this.countText(value);
      this.after = stop;
      return { kind: 'scalar', pos, value, text: value };
    }
    let stop = end;
    if (inFlow) {
      stop = at;
      while (stop < end && !',[]{}'.includes(t[stop]!)) {
        if (t[stop] === ':' && (t.charCodeAt(stop + 1) === SPACE || t[stop + 1] === ',')) break;
        stop++;
      }
    }
    const raw = t.slice(at, this.trimSpaces(at, stop));
    const value = this.plain(raw);
    this.countText(value);
    this.after = at + raw.length;
    return { kind: 'scalar', pos, value, text: raw };
  }

  /** A flow list or map that ends on the same line; `after` is then where it ends. */
  private flow(line: Line, at: number, end: number, depth: number): RawNode {
    if (depth > LIMITS.depth) defer();
    this.count(depth);
    const t = this.text;
    const open = t[at];
    const close = open === '[' ? ']' : '}';
    const pos = this.pos(line, at);
    const items: RawNode[] = [];
    const entries: RawEntry[] = [];
    const seen = new Set<string>();
    const skip = (i: number) => {
      while (i < end && t.charCodeAt(i) === SPACE) i++;
      return i;
    };
    let i = skip(at + 1);
    while (t[i] !== close) {
      if (i >= end) defer();
      if (open === '[') {
        const node = this.value(line, i, end, depth + 1, true);
        const { after } = this;
        if (node.kind === 'scalar' && t[skip(after)] === ':') defer(); // `[a: b]`
        items.push(node);
        i = skip(after);
      } else {
        const c = t[i];
        let keyStop: number;
        let key: string;
        if (c === '"' || c === "'") {
          keyStop = this.quotedEnd(i, end);
          key = this.quoted(i, keyStop);
          this.countText(key);
        } else {
          keyStop = i;
          while (keyStop < end && !',[]{}:'.includes(t[keyStop]!)) keyStop++;
          key = this.key(i, keyStop);
          keyStop = this.trimSpaces(i, keyStop);
        }
        // `key: value` with a space after the colon; anything else is left alone.
        if (t[keyStop] !== ':' || t.charCodeAt(keyStop + 1) !== SPACE) defer();
        if (seen.has(key)) defer();
        seen.add(key);
        const keyPos = this.pos(line, i);
        const v = skip(keyStop + 1);
        if (t[v] === ',' || t[v] === '}') defer();
        const value = this.value(line, v, end, depth + 1, true);
        entries.push({ key, keyPos, value });
        i = skip(this.after);
      }
      if (t[i] === ',') {
        i = skip(i + 1);
        if (t[i] === ',' || t[i] === close) defer(); // empty entries and trailing commas
      } else if (t[i] !== close) defer();
    }
    const node: RawNode =
      open === '[' ? { kind: 'seq', pos, items } : { kind: 'map', pos, entries };
    this.after = i + 1;
    return node;
  }
}

/**
 * The raw tree of YAML text (without a byte order mark), or undefined when the text is not in
 * the plain block style this reader vouches for: the YAML-based reader then reads it.
 */
export function readYamlBlock(text: string, file: string): LoadedConfig | undefined {
  try {
    return { file, format: 'yaml', root: new Reader(text).root(), diagnostics: [] };
  } catch (error) {
    if (error instanceof Defer) return undefined;
    throw error;
  }
}
