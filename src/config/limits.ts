// How much configuration keepsake reads. It runs as root at boot over files other people
// write: a file built to exhaust memory or time (a YAML alias bomb, megabytes of keys, nesting
// thousands deep) must end in a clear refusal in well under a second or two, never in a hang.
// Real configurations are a few kilobytes, with a few hundred values, nested under ten levels;
// the largest keepsake is built for lists 20,000 entries (under a megabyte and 30,000 values in
// the usual entry forms), and the limits leave that room.

import { ConfigError } from '../errors.js';
import { fileDiagnostic } from './file-errors.js';
import type { Position } from './raw.js';

export const LIMITS = {
  /** The size of the file: twice a configuration of 20,000 entries. The YAML parser reads
   *  about a megabyte a second on a busy machine before values are counted, so this also
   *  bounds the time to refuse a file of junk. */
  bytes: 2 * 1024 * 1024,
  /** Keys, values and list items, counted after YAML aliases are expanded. */
  nodes: 100_000,
  /**
   * Characters of text in keys and values, counted after YAML aliases are expanded: without
   * aliases this is at most the file's size, and aliases may not multiply it past this.
   */
  text: 2 * 1024 * 1024,
  /** Maps and lists inside one another. */
  depth: 64,
  /** Diagnostics reported at most; the rest are counted in one last line. */
  diagnostics: 200,
} as const;

const kib = (n: number) => `${Math.round(n / 1024)} KiB`;

/** Refuse a file larger than LIMITS.bytes before it is parsed (`bytes` may stop at one more). */
export function checkSize(file: string, bytes: number): void {
  if (bytes <= LIMITS.bytes) return;
  throw new ConfigError([
    fileDiagnostic(
      file,
      'too-large',
      `${file}: the configuration is larger than ${kib(LIMITS.bytes)} (the limit)`,
      'a configuration lists paths to persist and is a few kilobytes: check that this is the right file',
      { line: 1, column: 1 },
    ),
  ]);
}

/** The error for nesting deeper than LIMITS.depth, at `pos`. */
export function tooDeep(file: string, pos: Position): ConfigError {
  return new ConfigError([
    fileDiagnostic(
      file,
      'too-deep',
      `${file}: values are nested more than ${LIMITS.depth} levels deep (the limit)`,
      'a configuration nests a few levels: check for unclosed brackets or a runaway indentation',
      pos,
    ),
  ]);
}

/**
 * Counts the values read from a file; throws once there are more than LIMITS.nodes. `aliases`
 * says whether YAML aliases contributed, so that the message can point at them.
 */
export class NodeBudget {
  private count = 0;
  private chars = 0;
  aliases = 0;
  constructor(readonly file: string) {}

  /** Count `chars` characters of text read at `pos`. */
  takeText(pos: Position, chars: number): void {
    this.chars += chars;
    if (this.chars <= LIMITS.text) return;
    throw new ConfigError([
      fileDiagnostic(
        this.file,
        'too-much-text',
        `${this.file}: the YAML aliases expand to more than ${kib(LIMITS.text)} of text (the limit)`,
        'expand the aliases by hand, or use fewer of them',
        pos,
      ),
    ]);
  }

  take(pos: Position): void {
    this.count++;
    if (this.count <= LIMITS.nodes) return;
    const message =
      this.aliases > 0
        ? `${this.file}: the YAML aliases expand to more than ${LIMITS.nodes} values (the limit)`
        : `${this.file}: the configuration holds more than ${LIMITS.nodes} values (the limit)`;
    throw new ConfigError([
      fileDiagnostic(
        this.file,
        'too-many-values',
        message,
        this.aliases > 0
          ? 'expand the aliases by hand, or use fewer of them: an alias of an alias multiplies'
          : 'a configuration lists paths to persist: check that this is the right file',
        pos,
      ),
    ]);
  }
}

/**
 * Refuse nesting deeper than LIMITS.depth before a parser recurses into it: brackets, and YAML
 * block indicators repeated at the start of one line (`- - - x`, `? ? ? x`), each of which opens
 * a collection. Refused here, the error names the same place whichever reader would have read
 * the text (a parser that runs out of stack stops where its stack happened to end). The count
 * ignores quoting, which only errs on the side of refusing: no real configuration opens 64
 * collections in a row, inside a string or not.
 */
export function checkNesting(file: string, text: string): void {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  indicatorsAt(file, text, 0, line);
  // Only line breaks and brackets matter: the search skips the rest of the text natively
  // instead of visiting each character in script.
  const scan = /[\n[\]{}]/g;
  for (let m = scan.exec(text); m !== null; m = scan.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
      indicatorsAt(file, text, lineStart, line);
    } else if (c === 91 || c === 123) {
      depth++;
      if (depth > LIMITS.depth) throw tooDeep(file, { line, column: i - lineStart + 1 });
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
}

/** `- ` and `? ` repeated after a line's indentation: refused past LIMITS.depth. */
function indicatorsAt(file: string, text: string, start: number, line: number): void {
  let i = start;
  while (text.charCodeAt(i) === 32) i++;
  for (let n = 1; ; n++) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if ((c !== 45 && c !== 63) || (next !== 32 && next !== 9)) return;
    if (n > LIMITS.depth) throw tooDeep(file, { line, column: i - start + 1 });
    i += 2;
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
  }
}
