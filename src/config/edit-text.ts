// Text-level helpers for editing a configuration file in place: lines and indentation, edits
// applied by offset, and inserting an element into a bracketed list (`[a, b]`, `{ a: 1 }`)
// whether it is written on one line or one element per line.

import { ConfigEditError } from '../errors.js';

/** Replace `remove` characters at offset `at` with `insert`. */
export interface Edit {
  at: number;
  remove?: number;
  insert: string;
}

/**
 * Apply non-overlapping edits; offsets refer to the original text, and insertions at the same
 * offset come out in the order given.
 */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => b.e.at - a.e.at || b.i - a.i);
  let out = text;
  for (const { e } of sorted)
    out = out.slice(0, e.at) + e.insert + out.slice(e.at + (e.remove ?? 0));
  return out;
}

/** The line ending the text mostly uses. */
export function eolOf(text: string): string {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1;
  return crlf > 0 && crlf * 2 >= lf ? '\r\n' : '\n';
}

/** Offset of the first character of the line holding `p`. */
export function lineStart(text: string, p: number): number {
  return text.lastIndexOf('\n', p - 1) + 1;
}

/** Offset of the end of the line holding `p` (before `\n` or `\r\n`), or the end of the text. */
export function lineEnd(text: string, p: number): number {
  const n = text.indexOf('\n', p);
  if (n < 0) return text.length;
  return n > 0 && text[n - 1] === '\r' ? n - 1 : n;
}

/** The leading whitespace of the line holding `p`. */
export function indentOf(text: string, p: number): string {
  const start = lineStart(text, p);
  return /^[ \t]*/.exec(text.slice(start, lineEnd(text, start)))?.[0] ?? '';
}

/** 0-based column of `p`. */
export function columnOf(text: string, p: number): number {
  return p - lineStart(text, p);
}

/** The end of the line holding the last non-blank character before `p`. */
export function endOfContentLine(text: string, p: number): number {
  let q = p;
  while (q > 0 && /\s/.test(text[q - 1]!)) q--;
  return lineEnd(text, q);
}

export interface Span {
  start: number;
  end: number;
}

/** A bracketed list in the text: the offsets of its brackets and of its elements. */
export interface BracketList {
  open: number;
  close: number;
  items: Span[];
}

export interface ListStyle {
  eol: string;
  /** One level of indentation, for a list laid out one element per line. */
  unit: string;
  /** What starts a comment between elements (`#`), if the format has comments. */
  comment?: string;
  /** Between elements on one line, when the list does not show it (`, `). */
  sep: string;
  /** Spaces inside the brackets when an empty list gets its first element (`{ a: 1 }`). */
  pad: string;
  /** Lay out an empty `[]` one element per line (pretty-printed JSON). */
  expandEmpty: boolean;
}

/**
 * Renders the new element. `indent` is the indentation of the line it starts on, when the list
 * has one element per line (`multiline`); a nested value may then span several lines.
 */
export type Render = (indent: string, multiline: boolean) => string;

/**
 * The edits that insert an element into a bracketed list after element `after` (default: the
 * last), in the layout the list already has: on the same line with the same separator, or on a
 * line of its own with the indentation of its neighbour, keeping a trailing comma if the list
 * has one.
 */
export function insertIntoList(
  text: string,
  list: BracketList,
  render: Render,
  style: ListStyle,
  after?: number,
): Edit[] {
  const { open, close, items } = list;
  if (items.length === 0) {
    const inner = text.slice(open + 1, close);
    if (inner.trim() === '') {
      if (style.expandEmpty) {
        const base = indentOf(text, open);
        const ind = base + style.unit;
        return [
          {
            at: open + 1,
            remove: inner.length,
            insert: style.eol + ind + render(ind, true) + style.eol + base,
          },
        ];
      }
      return [
        { at: open + 1, remove: inner.length, insert: style.pad + render('', false) + style.pad },
      ];
    }
    // Only comments inside: the element goes on a line of its own before the closing bracket.
    const ls = lineStart(text, close);
    if (ls > open && text.slice(ls, close).trim() === '') {
      const ind = indentOf(text, close) + style.unit;
      return [{ at: ls, insert: ind + render(ind, true) + style.eol }];
    }
    throw new ConfigEditError('cannot find where to insert into an empty list that holds comments');
  }
  const k = after ?? items.length - 1;
  const item = items[k]!;
  const next = k === items.length - 1 ? close : items[k + 1]!.start;
  // The comma after the element, skipping comments.
  let comma = -1;
  for (let p = item.end; p < next; p++) {
    const c = text[p]!;
    if (c === ',') {
      comma = p;
      break;
    }
    if (style.comment !== undefined && text.startsWith(style.comment, p)) p = lineEnd(text, p);
  }
  const multiline = text.slice(item.end, next).includes('\n') && lineStart(text, item.start) > open;
  if (!multiline) {
    if (comma >= 0) return [{ at: comma + 1, insert: ` ${render('', false)},` }];
    let sep = style.sep;
    if (k > 0) {
      const between = text.slice(items[k - 1]!.end, item.start);
      if (/^[ \t]*,[ \t]*$/.test(between)) sep = between;
    }
    return [{ at: item.end, insert: sep + render('', false) }];
  }
  const ind = indentOf(text, item.start);
  if (comma >= 0) {
    const end = lineEnd(text, comma);
    if (end > next) return [{ at: comma + 1, insert: ` ${render('', false)},` }];
    return [{ at: end, insert: `${style.eol}${ind}${render(ind, true)},` }];
  }
  return [
    { at: item.end, insert: ',' },
    { at: lineEnd(text, item.end), insert: style.eol + ind + render(ind, true) },
  ];
}

/**
 * Where a new key goes among existing ones: after the key just before the first of the keys
 * that conventionally follow it (`files` before `users`), else after the last.
 */
export function insertionIndex(keys: readonly (string | undefined)[], key: string): number {
  const later: Record<string, readonly string[]> = {
    persistence: ['users'],
    directories: ['files', 'users'],
    files: ['users'],
  };
  const follow = later[key] ?? [];
  const j = keys.findIndex((k) => k !== undefined && follow.includes(k));
  return j > 0 ? j - 1 : keys.length - 1;
}
