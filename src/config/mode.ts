// Permission modes as configurations write them: octal ("0700", "700", "2775", 755) or
// chmod's symbolic form ("u=rwx,g=rx,o="), evaluated from an empty mode.
import { quoted } from './quoted.js';

export type ModeResult = { ok: true; mode: number } | { ok: false; message: string };

export const MODE_FORMS =
  'an octal mode such as "0755", "755" or "2775", or a symbolic mode such as "u=rwx,g=rx,o="';

const WHO_BITS = { u: 0o4700, g: 0o2070, o: 0o1007 } as const;

/**
 * Parse a mode. `text` is the value as written in the file, when known: a number is read by
 * its digits, as chmod reads them (`mode: 0700` and `mode: 700` are both 0700), unless it was
 * written with an explicit base (`0o700`, `0x1c0`).
 */
export function parseMode(
  value: unknown,
  kind: 'directory' | 'file' = 'directory',
  text?: string,
): ModeResult {
  if (typeof value === 'number') return parseNumericMode(value, text);
  if (typeof value !== 'string') {
    return { ok: false, message: `expected a mode (${MODE_FORMS})` };
  }
  const s = value.trim();
  if (s === '') return { ok: false, message: `the mode is empty; write ${MODE_FORMS}` };
  if (/^\d/.test(s)) return parseOctalString(s);
  return parseSymbolic(s, kind);
}

function invalid(shown: string, why?: string): ModeResult {
  return {
    ok: false,
    message: `${shown} is not a valid mode${why ? ` (${why})` : ''}; write ${MODE_FORMS}`,
  };
}

function parseNumericMode(value: number, text?: string): ModeResult {
  const written = text?.trim().replace(/_/g, '');
  if (written !== undefined && /^0[oO][0-7]+$/.test(written)) return checkRange(value, written);
  if (written !== undefined && /^0[xXbB]/.test(written)) return checkRange(value, written);
  if (!Number.isInteger(value) || value < 0) return invalid(String(text ?? value));
  const digits = written !== undefined && /^\d+$/.test(written) ? written : String(value);
  return parseOctalString(digits, text ?? String(value));
}

function checkRange(bits: number, shown: string): ModeResult {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0o7777) return invalid(shown, 'above 07777');
  return { ok: true, mode: bits };
}

function parseOctalString(s: string, shown = quoted(s)): ModeResult {
  const m = /^(?:0[oO])?([0-7]+)$/.exec(s);
  if (!m) {
    if (/^\d+$/.test(s)) return invalid(shown, 'octal digits are 0 to 7');
    return invalid(shown);
  }
  const digits = m[1]!.replace(/^0+(?=\d)/, '');
  if (digits.length > 4) return invalid(shown, 'more than four octal digits');
  return checkRange(Number.parseInt(digits, 8), shown);
}

function parseSymbolic(s: string, kind: 'directory' | 'file'): ModeResult {
  let mode = 0;
  const shown = quoted(s);
  for (const clause of s.split(',')) {
    const m = /^([ugoa]*)([-+=].*)$/.exec(clause.trim());
    if (!m) return invalid(shown, `cannot read "${clause}"`);
    const whoChars = m[1] === '' || m[1]!.includes('a') ? 'ugo' : m[1]!;
    const who = [...new Set(whoChars)] as Array<'u' | 'g' | 'o'>;
    const whoMask = who.reduce((acc, w) => acc | WHO_BITS[w], 0);
    // Each action is an operator followed by permission letters or a single copied class.
    const actions = m[2]!.match(/[-+=][^-+=]*/g) ?? [];
    for (const action of actions) {
      const op = action[0]!;
      const perms = action.slice(1);
      let bits = 0;
      if (/^[ugo]$/.test(perms)) {
        const from = perms as 'u' | 'g' | 'o';
        const shift = { u: 6, g: 3, o: 0 }[from];
        const rwx = (mode >> shift) & 0o7;
        for (const w of who) bits |= rwx << { u: 6, g: 3, o: 0 }[w];
      } else {
        if (!/^[rwxXst]*$/.test(perms)) {
          return invalid(shown, `unknown permission letter in "${action}"; use r, w, x, X, s or t`);
        }
        for (const p of perms) {
          for (const w of who) {
            const shift = { u: 6, g: 3, o: 0 }[w];
            if (p === 'r') bits |= 0o4 << shift;
            else if (p === 'w') bits |= 0o2 << shift;
            else if (p === 'x') bits |= 0o1 << shift;
            else if (p === 'X') {
              if (kind === 'directory' || (mode & 0o111) !== 0) bits |= 0o1 << shift;
            } else if (p === 's') {
              if (w === 'u') bits |= 0o4000;
              if (w === 'g') bits |= 0o2000;
            } else if (p === 't') {
              if (w === 'o') bits |= 0o1000;
            }
          }
        }
      }
      if (op === '=') mode = (mode & ~whoMask) | (bits & whoMask);
      else if (op === '+') mode |= bits & whoMask;
      else mode &= ~(bits & whoMask);
    }
  }
  return { ok: true, mode };
}

/** `0o755` → "0755". */
export function formatMode(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
