// Escaping for the three languages compiled mode writes: unit names (`systemd-escape --path`),
// unit file values (specifiers, quoting) and tmpfiles.d lines. Pure string functions.

/** Longest unit name systemd loads (UNIT_NAME_MAX - 1). */
export const UNIT_NAME_MAX = 255;

const KEEP = /^[A-Za-z0-9:_.]$/;
const encoder = new TextEncoder();

/** `\xNN` (lowercase hex) for each UTF-8 byte of `ch`. */
function hexBytes(ch: string): string {
  let out = '';
  for (const b of encoder.encode(ch)) out += `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/**
 * What `systemd-escape --path` prints: `.` components and doubled slashes dropped, leading and
 * trailing `/` stripped, `/` → `-`, the root → `-`, and every byte outside `[A-Za-z0-9:_.]`
 * (and a leading `.`) as `\xNN`. Throws on a relative path or a `..` component, which systemd
 * refuses too.
 */
export function escapePath(path: string): string {
  if (!path.startsWith('/')) throw new Error(`not an absolute path: ${path}`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`not a normalised path: ${path}`);
  if (parts.length === 0) return '-';
  let out = '';
  for (const ch of parts.join('/')) {
    if (ch === '/') out += '-';
    else if (KEEP.test(ch) && !(out === '' && ch === '.')) out += ch;
    else out += hexBytes(ch);
  }
  return out;
}

/** The unit systemd expects for a mount point: `/var/log` → `var-log.mount`. */
export function unitNameForPath(path: string, suffix: 'mount' | 'automount' = 'mount'): string {
  return `${escapePath(path)}.${suffix}`;
}

/** `%` starts a specifier in most unit settings (What=, Where=, Options=, Description=...). */
export function escapeSpecifiers(value: string): string {
  return value.replaceAll('%', '%%');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Why a path cannot be written as a plain unit file value (What=, Where=), or undefined when
 * it can: unit files are line-based, strip the whitespace around a value, and join a line that
 * ends in a backslash with the next.
 */
export function unitValueProblem(path: string): string | undefined {
  if (CONTROL.test(path)) return 'it contains a control character (a newline, a tab...)';
  if (/\s$/.test(path)) return 'it ends in whitespace, which systemd strips from a value';
  if (path.endsWith('\\')) return 'it ends in a backslash, which continues a unit file line';
  return undefined;
}

const BARE_WORD = /^[A-Za-z0-9_/.:+@=,-]+$/;

/**
 * One word of a space-separated unit setting (RequiresMountsFor=, ExecStart=), quoted when it
 * needs to be: `"..."` with `\\` and `\"`, specifiers as `%%`, and in command lines `$` as `$$`
 * (systemd expands `$NAME` there).
 */
export function unitWord(word: string, opts: { command: boolean }): string {
  return BARE_WORD.test(word) ? word : quotedField(word, opts.command);
}

/** `"..."` with C escapes for `\`, `"` and control characters, `%%` for `%`, and `$$` for `$`
 *  when `dollars` (a unit's command line, where systemd expands `$NAME`). */
function quotedField(value: string, dollars: boolean): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '%') out += '%%';
    else if (ch === '$' && dollars) out += '$$';
    else if (CONTROL.test(ch)) out += hexBytes(ch);
    else out += ch;
  }
  return `"${out}"`;
}

/** A tmpfiles.d path field: quoted, with C escapes for `\`, `"` and control characters, and
 *  `%%` (the path takes specifiers). */
export function tmpfilesPath(path: string): string {
  return quotedField(path, false);
}

/** A tmpfiles.d argument field (the rest of the line, never quoted): C escapes for `\`,
 *  whitespace and control characters, `%%` for `%`. */
export function tmpfilesArgument(value: string): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '%') out += '%%';
    else if (/\s/.test(ch) || CONTROL.test(ch)) out += hexBytes(ch);
    else out += ch;
  }
  return out;
}

/** Text from the configuration on a `#` comment line: one line, no trailing backslash. */
export function commentText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are replaced
  return text.replace(/[\x00-\x1f\x7f]/g, '?').replace(/\\+$/, '');
}
