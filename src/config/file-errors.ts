// Errors about the configuration file as a whole: it cannot be read, or its syntax is wrong.
// They point at a line and column, but at no option.

import type { Diagnostic } from '../model/types.js';
import { type ConfigFormat, type Position, UNKNOWN } from './raw.js';

/** An error about the file itself, at `pos` when known. */
export function fileDiagnostic(
  file: string,
  code: string,
  message: string,
  hint: string,
  pos: Position = UNKNOWN,
): Diagnostic {
  return {
    severity: 'error',
    code,
    message,
    hint,
    source: { file, line: pos.line, column: pos.column, option: '' },
  };
}

/** A syntax error at `pos`, with the hint for the format. */
export function syntaxDiagnostic(
  format: ConfigFormat,
  file: string,
  message: string,
  pos: Position,
): Diagnostic {
  return fileDiagnostic(
    file,
    `${format}-syntax`,
    `${format.toUpperCase()} syntax error: ${message}`,
    syntaxHint(format),
    pos,
  );
}

function syntaxHint(format: ConfigFormat): string {
  switch (format) {
    case 'json':
      return 'fix the JSON at this position (strings in double quotes, no trailing commas, no comments)';
    case 'toml':
      return 'fix the TOML at this position (keys that contain "/" must be quoted: [persistence."/persist"])';
    default:
      return 'fix the YAML at this position (check the indentation and that "key: value" pairs have a space after the colon)';
  }
}

/** A parser's message without the position it repeats and what follows its first line. */
export function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '').trim();
}
