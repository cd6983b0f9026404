// Adding an entry to YAML or JSON text without rewriting it: `yaml` locates every key, list and
// element, and the new text is inserted next to them in the style already used (block or flow,
// indentation, quoting), so that everything else stays byte for byte.

import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
  type YAMLSeq,
  type Document as YamlDocument,
} from 'yaml';
import { ConfigEditError } from '../errors.js';
import type { EditPlan } from './edit-plan.js';
import {
  applyEdits,
  type BracketList,
  columnOf,
  type Edit,
  endOfContentLine,
  eolOf,
  indentOf,
  insertIntoList,
  insertionIndex,
  type ListStyle,
  lineEnd,
  lineStart,
  type Span,
} from './edit-text.js';
import { optionPath } from './reporter.js';

type Quote = 'plain' | 'double' | 'single';
type Context = 'block' | 'flow' | 'key' | 'flow-key';

const WRAP: Record<Context, (s: string) => string> = {
  block: (s) => `- ${s}\n`,
  flow: (s) => `[${s}]\n`,
  key: (s) => `${s}: x\n`,
  'flow-key': (s) => `{${s}: x}\n`,
};

/** Whether `src`, written in `ctx`, reads back as the string `value` (in YAML 1.2 and 1.1). */
function readsAs(src: string, ctx: Context, value: string): boolean {
  for (const version of ['1.2', '1.1'] as const) {
    const doc = parseDocument(WRAP[ctx](src), { version, strict: true, uniqueKeys: true });
    if (doc.errors.length > 0 || doc.warnings.length > 0) return false;
    const c = doc.contents;
    let node: unknown;
    if (isSeq(c) && c.items.length === 1) node = c.items[0];
    else if (isMap(c) && c.items.length === 1) node = c.items[0]?.key;
    if (!isScalar(node) || node.value !== value) return false;
  }
  return true;
}

/** A string as YAML: plain when it reads back unchanged there, else quoted. */
export function yamlScalar(value: string, ctx: Context, prefer: Quote): string {
  const single = `'${value.replace(/'/g, "''")}'`;
  const double = JSON.stringify(value);
  const candidates =
    prefer === 'plain' ? [value, double] : prefer === 'single' ? [single, double] : [double];
  for (const c of candidates) if (readsAs(c, ctx, value)) return c;
  throw new ConfigEditError(`cannot write ${JSON.stringify(value)} as a YAML string`);
}

function quoteOf(nodes: readonly unknown[]): Quote | undefined {
  const types = nodes
    .filter((n) => isScalar(n) && typeof n.value === 'string')
    .map((n) => (n as { type?: string }).type);
  if (types.length === 0) return undefined;
  if (types.includes('PLAIN')) return 'plain';
  if (types.includes('QUOTE_DOUBLE')) return 'double';
  if (types.includes('QUOTE_SINGLE')) return 'single';
  return 'plain';
}

const range = (n: unknown): [number, number, number] => {
  const r = (n as Node | null | undefined)?.range;
  if (!r) throw new ConfigEditError('cannot locate a node of the configuration in its text');
  return r;
};

const isEmptyScalar = (n: unknown) =>
  isScalar(n) && n.value === null && (n.source === '' || n.source === undefined);

/** Offset just after the last thing written for a node or pair (not its trailing comments). */
function lastContent(n: unknown): number {
  if (isPair(n)) {
    const v = n.value;
    if (v !== null && v !== undefined && !isEmptyScalar(v)) return lastContent(v);
    return range(n.key)[1];
  }
  if ((isMap(n) || isSeq(n)) && !n.flow && n.items.length > 0) {
    return lastContent(n.items[n.items.length - 1]);
  }
  return range(n)[1];
}

function span(n: unknown): Span {
  if (isPair(n)) {
    const start = range(n.key)[0];
    const v = n.value;
    return { start, end: v !== null && v !== undefined ? range(v)[1] : range(n.key)[1] };
  }
  const r = range(n);
  return { start: r[0], end: r[1] };
}

class YamlEditor {
  private readonly eol: string;
  private readonly json: boolean;
  /** Block indentation of a nested map, and of a list under its key. */
  private readonly unit: number;
  private readonly seqIndent: number;
  /** JSON: one level of indentation and the key separator. */
  private readonly jsonUnit: string;
  private readonly jsonSep: string;
  private readonly itemQuote: Quote;
  /** New lists are written `[a]` when the lists like them in the file are. */
  private readonly flowLists: boolean;

  constructor(
    private readonly text: string,
    private readonly doc: YamlDocument,
    format: 'yaml' | 'json',
    private readonly plan: EditPlan,
  ) {
    this.eol = eolOf(text);
    this.json = format === 'json';
    let unit: number | undefined;
    let seqIndent: number | undefined;
    let jsonUnit: string | undefined;
    let jsonSep: string | undefined;
    const items: unknown[] = [];
    const walk = (n: unknown, depth: number): void => {
      if (depth > 100) return;
      if (isMap(n)) {
        const first = n.items[0];
        if (n.flow && first && jsonUnit === undefined) jsonUnit = this.childIndent(n, first);
        for (const p of n.items) {
          if (!isScalar(p.key) || !p.key.range) continue;
          const v = p.value;
          if (jsonSep === undefined && (isScalar(v) || isMap(v) || isSeq(v)) && v.range) {
            const between = text.slice(p.key.range[1], v.range[0]);
            if (/^[ \t]*:[ \t]*$/.test(between)) jsonSep = between.trimStart();
          }
          if (isMap(v) && !v.flow && v.range && unit === undefined) {
            const d = columnOf(text, v.range[0]) - columnOf(text, p.key.range[0]);
            if (d > 0) unit = d;
          }
          if (isSeq(v) && !v.flow && v.range && seqIndent === undefined) {
            const d = columnOf(text, v.range[0]) - columnOf(text, p.key.range[0]);
            if (d >= 0) seqIndent = d;
          }
          walk(v, depth + 1);
        }
      } else if (isSeq(n)) {
        const first = n.items[0];
        if (n.flow && first && jsonUnit === undefined) jsonUnit = this.childIndent(n, first);
        items.push(...n.items);
        for (const item of n.items) walk(item, depth + 1);
      }
    };
    walk(doc.contents, 0);
    this.unit = unit ?? 2;
    this.seqIndent = seqIndent ?? this.unit;
    this.jsonUnit = jsonUnit ?? '  ';
    this.jsonSep = jsonSep ?? ': ';
    this.itemQuote = quoteOf(items) ?? 'plain';
    this.flowLists = this.preferFlowLists();
  }

  /**
   * Whether a new list is written in flow style: as its sibling lists are, else as the lists
   * in the same position elsewhere (every location's, or every user's), else in block style.
   */
  private preferFlowLists(): boolean {
    const segs = this.segments;
    const lists = (map: unknown) =>
      isMap(map)
        ? map.items
            .filter(
              (p) => isScalar(p.key) && ['directories', 'files'].includes(String(p.key.value)),
            )
            .map((p) => p.value)
            .filter((v) => isSeq(v))
        : [];
    const child = (map: unknown, key: string) =>
      isMap(map)
        ? map.items.find((p) => isScalar(p.key) && String(p.key.value) === key)?.value
        : undefined;
    const values = (map: unknown) => (isMap(map) ? map.items.map((p) => p.value) : []);
    let parent: unknown = this.doc.contents;
    for (const seg of segs.slice(0, -1)) parent = child(parent, seg);
    let found = lists(parent);
    if (found.length === 0) {
      const locations = values(child(this.doc.contents, 'persistence'));
      found =
        segs.length > 3
          ? locations.flatMap((l) => values(child(l, 'users')).flatMap(lists))
          : locations.flatMap(lists);
    }
    return found.length > 0 && found.every((s) => isSeq(s) && s.flow === true);
  }

  /** The indentation a flow collection adds for its elements, when they are on lines of their own. */
  private childIndent(n: YAMLMap | YAMLSeq, first: unknown): string | undefined {
    if (!n.range) return undefined;
    const s = span(first).start;
    if (lineStart(this.text, s) <= n.range[0]) return undefined;
    const outer = indentOf(this.text, n.range[0]);
    const inner = indentOf(this.text, s);
    return inner.startsWith(outer) && inner.length > outer.length
      ? inner.slice(outer.length)
      : undefined;
  }

  private get segments() {
    return this.plan.segments;
  }

  run(): string {
    const root = this.doc.contents;
    if (root === null || isEmptyScalar(root)) return this.emptyDocument();
    if (!isMap(root)) {
      throw new ConfigEditError('cannot add to the configuration: its top level is not a map');
    }
    let map: YAMLMap = root;
    const segs = this.segments;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (pair === undefined) return this.apply(this.insertMember(map, segs.slice(i)));
      const v = pair.value;
      if (
        v === null ||
        v === undefined ||
        (isScalar(v) && v.value === null) ||
        (!map.flow && this.isEmptyFlowMap(v))
      ) {
        return this.apply(this.fillEmpty(map, pair, segs.slice(i + 1)));
      }
      if (i === segs.length - 1) {
        if (!isSeq(v)) throw this.shapeError(i, 'a list');
        return this.apply(this.appendItem(v));
      }
      if (!isMap(v)) throw this.shapeError(i, 'a map');
      map = v;
    }
    throw new ConfigEditError('cannot find where to add the entry in the configuration');
  }

  /** `{}` as a plain placeholder (no anchor, tag or comment), which a block map may replace. */
  private isEmptyFlowMap(v: unknown): boolean {
    if (!isMap(v) || !v.flow || v.items.length > 0 || v.anchor || v.tag || !v.range) return false;
    return /^\{[ \t]*\}$/.test(this.text.slice(v.range[0], v.range[1]));
  }

  private shapeError(i: number, what: string): ConfigEditError {
    const at = optionPath(this.segments.slice(0, i + 1));
    return new ConfigEditError(
      `cannot add to ${at}: it is not ${what} that can be edited in place (an alias or a tagged value?)`,
    );
  }

  private apply(edits: Edit[]): string {
    return applyEdits(this.text, edits);
  }

  private listStyle(kind: 'map' | 'seq'): ListStyle {
    const multiline = this.text.trim().includes('\n');
    const style: ListStyle = {
      eol: this.eol,
      unit: this.json ? this.jsonUnit : ' '.repeat(this.unit),
      sep: this.json && this.jsonSep === ':' ? ',' : ', ',
      pad: kind === 'map' && (!this.json || this.jsonSep.endsWith(' ')) ? ' ' : '',
      expandEmpty: this.json && multiline,
    };
    if (!this.json) style.comment = '#';
    return style;
  }

  private key(k: string, ctx: 'key' | 'flow-key', prefer: Quote): string {
    return this.json ? JSON.stringify(k) : yamlScalar(k, ctx, prefer);
  }

  private item(ctx: 'block' | 'flow', prefer: Quote): string {
    return this.json ? JSON.stringify(this.plan.value) : yamlScalar(this.plan.value, ctx, prefer);
  }

  /** The data for the keys in `rest` down to the new list. */
  private valueFor(rest: readonly string[]): unknown {
    if (rest.length === 0) return [this.plan.value];
    return { [rest[0]!]: this.valueFor(rest.slice(1)) };
  }

  private inlineJson(v: unknown): string {
    if (this.jsonSep === ':') return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map((x) => this.inlineJson(x)).join(', ')}]`;
    if (typeof v === 'object' && v !== null) {
      const members = Object.entries(v).map(
        ([k, x]) => `${JSON.stringify(k)}${this.jsonSep}${this.inlineJson(x)}`,
      );
      return `{ ${members.join(', ')} }`;
    }
    return JSON.stringify(v);
  }

  /** The value for `rest` in flow style (YAML) or as JSON. */
  private flowValue(rest: readonly string[], indent: string, multiline: boolean): string {
    if (this.json) {
      const v = this.valueFor(rest);
      return multiline
        ? JSON.stringify(v, null, this.jsonUnit)
            .split('\n')
            .join(this.eol + indent)
        : this.inlineJson(v);
    }
    if (rest.length === 0) return `[${this.item('flow', this.itemQuote)}]`;
    return `{ ${this.key(rest[0]!, 'flow-key', 'plain')}: ${this.flowValue(rest.slice(1), indent, multiline)} }`;
  }

  /** Block lines for the keys in `rest` and the list, the first key at column `col`. */
  private blockLines(rest: readonly string[], col: number, prefer: Quote): string[] {
    const lines: string[] = [];
    let c = col;
    rest.forEach((k, j) => {
      lines.push(`${' '.repeat(c)}${this.key(k, 'key', j === 0 ? prefer : 'plain')}:`);
      if (j < rest.length - 1) c += this.unit;
    });
    if (this.flowLists) lines[lines.length - 1] += ` [${this.item('flow', this.itemQuote)}]`;
    else lines.push(`${' '.repeat(c + this.seqIndent)}- ${this.item('block', this.itemQuote)}`);
    return lines;
  }

  private bracketList(n: YAMLMap | YAMLSeq, open: string, close: string): BracketList {
    const r = range(n);
    const list = { open: r[0], close: r[1] - 1, items: n.items.map(span) };
    if (this.text[list.open] !== open || this.text[list.close] !== close) {
      throw new ConfigEditError(
        'cannot locate the brackets of a flow collection in the configuration',
      );
    }
    return list;
  }

  /** A new key (and what it holds down to the list) in a map that lacks it. */
  private insertMember(map: YAMLMap, rest: string[]): Edit[] {
    const keys = map.items.map((p) => (isScalar(p.key) ? String(p.key.value) : undefined));
    const prefer = quoteOf(map.items.map((p) => p.key)) ?? 'plain';
    const at = map.items.length === 0 ? undefined : insertionIndex(keys, rest[0]!);
    if (map.flow) {
      const list = this.bracketList(map, '{', '}');
      const render = (indent: string, multiline: boolean) =>
        `${this.key(rest[0]!, 'flow-key', prefer)}${this.json ? this.jsonSep : ': '}${this.flowValue(rest.slice(1), indent, multiline)}`;
      return insertIntoList(this.text, list, render, this.listStyle('map'), at);
    }
    const first = map.items[0];
    if (first === undefined || at === undefined) {
      throw new ConfigEditError('cannot edit an empty block map');
    }
    const col = columnOf(this.text, range(first.key)[0]);
    const anchor = endOfContentLine(this.text, lastContent(map.items[at]));
    const lines = this.blockLines(rest, col, prefer);
    return [{ at: anchor, insert: this.eol + lines.join(this.eol) }];
  }

  /**
   * A key with no value (`directories:`, `/persist: ~`, `"users": null`) gets one; in a block
   * map, so does a key whose value is `{}`.
   */
  private fillEmpty(parent: YAMLMap, pair: Pair, rest: string[]): Edit[] {
    const v = pair.value;
    const explicit =
      (isScalar(v) && v.source !== '' && v.source !== undefined) || this.isEmptyFlowMap(v);
    if (parent.flow) {
      if (!explicit) {
        throw new ConfigEditError(
          `cannot add to ${optionPath(this.segments)}: a key without a value in a flow map cannot be edited safely`,
        );
      }
      const r = range(v);
      const multiline = this.json && this.text.trim().includes('\n');
      const insert = this.flowValue(rest, indentOf(this.text, r[0]), multiline);
      return [{ at: r[0], remove: r[1] - r[0], insert }];
    }
    const keyRange = range(pair.key);
    const edits: Edit[] = [];
    if (explicit) {
      const r = range(v);
      if (lineStart(this.text, r[0]) !== lineStart(this.text, keyRange[0])) {
        throw new ConfigEditError(
          `cannot add to ${optionPath(this.segments)}: its null value is not on the line of its key`,
        );
      }
      let s = r[0];
      while (s > keyRange[1] && (this.text[s - 1] === ' ' || this.text[s - 1] === '\t')) s--;
      edits.push({ at: s, remove: r[1] - s, insert: '' });
    }
    const col = columnOf(this.text, keyRange[0]);
    const lines =
      rest.length === 0
        ? [`${' '.repeat(col + this.seqIndent)}- ${this.item('block', this.itemQuote)}`]
        : this.blockLines(rest, col + this.unit, 'plain');
    edits.push({
      at: lineEnd(this.text, explicit ? range(v)[1] : keyRange[1]),
      insert: this.eol + lines.join(this.eol),
    });
    return edits;
  }

  /** The new element at the end of an existing list. */
  private appendItem(seq: YAMLSeq): Edit[] {
    const prefer = quoteOf(seq.items) ?? this.itemQuote;
    if (seq.flow) {
      const list = this.bracketList(seq, '[', ']');
      return insertIntoList(
        this.text,
        list,
        () => this.item('flow', prefer),
        this.listStyle('seq'),
      );
    }
    const last = seq.items[seq.items.length - 1];
    const dash = range(seq)[0];
    if (last === undefined || this.text[dash] !== '-') {
      throw new ConfigEditError('cannot locate the list in the configuration text');
    }
    const col = columnOf(this.text, dash);
    const lastStart = span(last).start;
    const ls = lineStart(this.text, lastStart);
    let spacing = ' ';
    if (this.text[ls + col] === '-') {
      const between = this.text.slice(ls + col + 1, lastStart);
      if (/^[ \t]+$/.test(between)) spacing = between;
    }
    const anchor = endOfContentLine(this.text, lastContent(last));
    const line = `${' '.repeat(col)}-${spacing}${this.item('block', prefer)}`;
    return [{ at: anchor, insert: this.eol + line }];
  }

  /** Nothing but comments (or nothing at all): the whole path is written. */
  private emptyDocument(): string {
    const root = this.doc.contents;
    if (isScalar(root) && root.source !== '' && root.source !== undefined) {
      throw new ConfigEditError(
        'cannot add to the configuration: its top level is null, not a map',
      );
    }
    if (this.json) {
      if (this.text.trim() !== '')
        throw new ConfigEditError('cannot add to the configuration: it is empty');
      return `${JSON.stringify(this.valueFor(this.segments), null, 2)}\n`;
    }
    const lines = this.blockLines(this.segments, 0, 'plain');
    const sep = this.text === '' || this.text.endsWith('\n') ? '' : this.eol;
    return this.text + sep + lines.join(this.eol) + this.eol;
  }
}

/** `text` (YAML, or JSON) with the plan's entry added; see addEntryToConfigText. */
export function editYamlText(text: string, format: 'yaml' | 'json', plan: EditPlan): string {
  const doc = parseDocument(text, { uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    throw new ConfigEditError(
      `the configuration does not parse: ${doc.errors[0]!.message.split('\n')[0]}`,
    );
  }
  return new YamlEditor(text, doc, format, plan).run();
}
