// Paths as a person and a shell can read them: control characters, backslashes and bytes that
// are not UTF-8 are escaped (`\n`, `\\`, `\xff`), so one path is always one line. Pure.

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters
const NEEDS_ESCAPE = /[\u0000-\u001f\u007f\\]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters
const ESCAPED = /[\u0000-\u001f\u007f\\]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\\': '\\\\' };

function escapeChar(c: string): string {
  return NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** A UTF-8 path with its control characters and backslashes escaped. */
export function displayPath(path: string): string {
  return NEEDS_ESCAPE.test(path) ? path.replace(ESCAPED, escapeChar) : path;
}

/** Bytes that may not be UTF-8: valid sequences as text, every other byte as `\xNN`. */
export function displayBytes(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const len = sequenceLength(bytes, i);
    if (len === 0) {
      out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      out += displayPath(bytes.toString('utf8', i, i + len));
      i += len;
    }
  }
  return out;
}

/** The length of the valid UTF-8 sequence at `i`, or 0. */
function sequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const len = c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
  if (len === 0 || i + len > b.length) return 0;
  for (let k = 1; k < len; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  const text = b.toString('utf8', i, i + len);
  return text.includes('\uFFFD') ? 0 : len;
}

/** A path quoted for a POSIX shell; `$'...'` when it holds escapes. */
export function shellQuote(display: string, escaped: boolean): string {
  if (escaped) return `$'${display.replace(/'/g, "\\'")}'`;
  if (/^[\w@%+=:,./-]+$/.test(display)) return display;
  return singleQuoted(display);
}

/** `s` as one word of a POSIX shell, whatever it holds: single quotes, `'` written `'\''`. */
export function singleQuoted(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
