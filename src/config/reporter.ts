// How a problem in the configuration is reported: the option's path as it is written
// (`persistence."/persist".directories[3]`), and the Reporter that collects the diagnostics.

import type { Diagnostic, SourceRef } from '../model/types.js';
import { quoted } from './quoted.js';
import type { Position, RawNode, Segment } from './raw.js';

/** `persistence."/persist".directories[3]`. */
export function optionPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else {
      const key = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? s : quoted(s);
      out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly file: string) {}

  source(segments: readonly Segment[], pos: Position): SourceRef {
    return this.sourceAt(optionPath(segments), pos);
  }

  /** A SourceRef for an option path already written out (see optionPath). */
  sourceAt(option: string, pos: Position): SourceRef {
    return { file: this.file, line: pos.line, column: pos.column, option };
  }

  report(
    severity: 'error' | 'warning',
    code: string,
    segments: readonly Segment[],
    pos: Position,
    message: string,
    hint?: string,
  ): void {
    const path = optionPath(segments);
    const d: Diagnostic = {
      severity,
      code,
      message: `${path === '' ? '(top level)' : path}: ${message}`,
      source: this.source(segments, pos),
    };
    if (hint !== undefined) d.hint = hint;
    this.diagnostics.push(d);
  }

  error(code: string, segments: readonly Segment[], pos: Position, message: string, hint?: string) {
    this.report('error', code, segments, pos, message, hint);
  }

  warn(code: string, segments: readonly Segment[], pos: Position, message: string, hint?: string) {
    this.report('warning', code, segments, pos, message, hint);
  }
}

/** A value as a message shows it: `a map`, `a list`, `nothing`, or the value itself. */
export function describe(node: RawNode): string {
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing';
  if (typeof node.value === 'string') return quoted(node.value);
  const text = node.text ?? String(node.value);
  return text.length > 100 ? quoted(text) : text;
}

export const isNull = (node: RawNode): boolean => node.kind === 'scalar' && node.value === null;
