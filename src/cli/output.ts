// The one module that writes to the terminal. Commands hand it values; it decides between
// human text (coloured only on a TTY and never with NO_COLOR) and JSON records, and what
// --quiet leaves out.

import { formatDiagnostic } from '../config/diagnostic.js';
import { ConfigError, KeepsakeError, RefusedError } from '../errors.js';
import type { Diagnostic } from '../model/types.js';
import { describeProblem } from '../plan/format.js';
import { isTerminal, writeStdout } from '../system/stdout.js';
import { type RecordName, recordLine } from './records.js';
import { stdoutFailed } from './stdout-failure.js';

type Style = 'red' | 'green' | 'yellow' | 'dim' | 'bold' | 'cyan';
const CODES: Record<Style, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export interface Output {
  readonly json: boolean;
  /** `--quiet`: report lines and progress are left out; what went wrong still goes to stderr. */
  readonly quiet: boolean;
  /** Standard output is a terminal: room for layout meant for people (trees, colour). */
  readonly terminal: boolean;
  /** A line of the report on stdout; none with --quiet. */
  line(text?: string): void;
  /** What the command was asked to produce (a document to save or pipe): even with --quiet. */
  product(text: string): void;
  /** A line that says what went wrong: stdout with the report, stderr with --quiet. */
  trouble(text: string): void;
  /** One record on its own line: `record` and `version` first, then the value's fields. */
  record(name: RecordName, value: object): void;
  /** One record already as its line of JSON text (records.ts builds those of action steps). */
  recordText(line: string): void;
  /** Many records (a report can have tens of thousands), each given by `each` to `emit` as it
   *  is made, and written in pieces of 64 KiB, on a terminal too. */
  records(each: (emit: (name: RecordName, value: object) => void) => void): void;
  /** Always on stderr: warnings and errors. */
  error(text: string): void;
  /** On stderr, a success's side note (a file written); none with --quiet. */
  note(text: string): void;
  /** A transient status line on stderr (a terminal only); undefined clears it. */
  progress(text: string | undefined): void;
  paint(style: Style, text: string): string;
  warnings(ds: Diagnostic[]): void;
  failure(e: unknown): void;
}

export function createOutput(opts: {
  json: boolean;
  quiet?: boolean;
  color?: boolean;
  /** Write with write(2) on descriptor 1, not through process.stdout (system/stdout.ts), and
   *  ask whether descriptor 2 is a terminal without process.stderr: an apply's report, which
   *  every boot writes, and a diff's. */
  direct?: boolean;
}): Output {
  const quiet = opts.quiet === true;
  const direct = opts.direct === true;
  // A terminal gets each line at once: it shows progress.
  const terminal = direct ? isTerminal(1) : process.stdout.isTTY === true;
  const color = opts.color ?? (terminal && !process.env.NO_COLOR && process.env.TERM !== 'dumb');
  const paint = (style: Style, text: string) => {
    if (!color) return text;
    const [on, off] = CODES[style];
    return `\x1b[${on}m${text}\x1b[${off}m`;
  };
  let progressShown = false;
  // Asked at the first progress line (every few hundred directories of a diff), then known.
  let stderrTerminal: boolean | undefined;
  const progressOn = () => {
    stderrTerminal ??= direct ? isTerminal(2) : process.stderr.isTTY === true;
    return stderrTerminal;
  };
  const emit = direct
    ? (text: string) => writeStdout(text, stdoutFailed)
    : (text: string) => process.stdout.write(text);
  if (!direct) process.stdout.on('error', stdoutFailed);
  // Lines for a file or a pipe are gathered and written together (one write per action line
  // costs more than the action on a large apply): when the running step yields, when 64 KiB
  // have gathered, before anything goes to stderr (so that the two stay in order when they
  // share a file), and at exit.
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    emit(text);
  };
  process.once('exit', flush);
  const write = (text: string) => {
    if (terminal) {
      emit(text);
      return;
    }
    if (pending === '') queueMicrotask(flush);
    pending += text;
    if (pending.length >= 65536) flush();
  };
  const out: Output = {
    json: opts.json,
    quiet,
    terminal,
    line: (text = '') => {
      if (!quiet) write(`${text}\n`);
    },
    product: (text) => write(`${text}\n`),
    trouble: (text) => (quiet ? out.error(text) : write(`${text}\n`)),
    record: (name, value) => write(`${recordLine(name, value)}\n`),
    recordText: (line) => write(`${line}\n`),
    records(each) {
      let text = '';
      each((name, value) => {
        text += `${recordLine(name, value)}\n`;
        if (text.length < 65536) return;
        write(text);
        text = '';
      });
      if (text !== '') write(text);
    },
    error: (text) => {
      flush();
      process.stderr.write(`${text}\n`);
    },
    note: (text) => {
      if (quiet) return;
      flush();
      process.stderr.write(`${text}\n`);
    },
    progress(text) {
      if (out.json || quiet || !progressOn()) return;
      if (text === undefined && !progressShown) return;
      flush();
      const width = Math.max(20, (process.stderr.columns ?? 80) - 1);
      process.stderr.write(`\r\x1b[K${text === undefined ? '' : text.slice(0, width)}`);
      progressShown = text !== undefined;
    },
    paint,
    warnings(ds) {
      for (const d of ds) out.error(paint('yellow', formatDiagnostic(d)));
    },
    failure(e) {
      if (out.json) {
        out.record('error', errorValue(e));
        return;
      }
      if (e instanceof ConfigError) {
        for (const d of e.diagnostics) {
          out.error(paint(d.severity === 'error' ? 'red' : 'yellow', formatDiagnostic(d)));
        }
      } else if (e instanceof RefusedError) {
        for (const p of e.problems) for (const l of describeProblem(p)) out.error(l);
      }
      const msg = e instanceof Error ? e.message : String(e);
      out.error(paint('red', `keepsake: ${msg}`));
      if (e instanceof KeepsakeError && e.hint) out.error(`  hint: ${e.hint}`);
      if (!(e instanceof KeepsakeError) && e instanceof Error && e.stack)
        out.error(paint('dim', e.stack));
    },
  };
  return out;
}

function errorValue(e: unknown) {
  if (e instanceof ConfigError)
    return { error: e.code, message: e.message, diagnostics: e.diagnostics };
  if (e instanceof RefusedError) return { error: e.code, message: e.message, problems: e.problems };
  if (e instanceof KeepsakeError) return { error: e.code, message: e.message, hint: e.hint };
  return { error: 'internal', message: e instanceof Error ? e.message : String(e) };
}
