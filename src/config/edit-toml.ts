// Adding an entry to TOML text without rewriting it. The scanner (toml-scan.ts) finds where
// each table, key and array is written; the entry is then inserted where
// it belongs (into the array, as a key in the table's section, into an inline table, or as a
// new `[table]`), and each candidate edit is kept only if the result parses to exactly the
// data expected.

import { ConfigEditError } from '../errors.js';
import type { EditPlan } from './edit-plan.js';
import {
  applyEdits,
  type Edit,
  eolOf,
  insertIntoList,
  type ListStyle,
  lineEnd,
  type Span,
} from './edit-text.js';
import { optionPath } from './reporter.js';
import { pathKey, type Scan, type Section, scanToml, startsWith, type Value } from './toml-scan.js';

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
    if (this.scan.stoppedAt !== undefined)
      throw new ConfigEditError(`cannot follow the TOML text near offset ${this.scan.stoppedAt}`);
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
