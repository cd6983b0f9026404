// gitignore-style patterns, compiled once to a regular expression over a path relative to the
// pattern's base directory: `*` and `?` stay within one component, `[...]` is a class (`[!...]`
// negates), `**` spans components, a leading `/` (or any inner `/`) anchors the pattern to
// the base, a pattern without one matches a name at any depth, a trailing `/` matches
// directories only, and `!` makes a later pattern re-include what an earlier one excluded.
// Pure.

export interface Glob {
  /** The pattern as written. */
  pattern: string;
  negate: boolean;
  dirOnly: boolean;
  /** Matches at the base only (it had a `/` before its end), not by name at any depth. */
  anchored: boolean;
  /** The components before the first one with a wildcard, e.g. `var/cache` for `/var/cache/*`. */
  literalPrefix: string;
  /** Anchored and without wildcards: it names exactly one path. */
  literal: boolean;
  regex: RegExp;
}

export type GlobResult = { ok: true; glob: Glob } | { ok: false; message: string };

const SPECIAL = /[*?[\\]/;

function classAt(p: string, i: number): { source: string; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (p[j] === '!' || p[j] === '^') {
    negate = true;
    j++;
  }
  let body = '';
  if (p[j] === ']') {
    body += '\\]';
    j++;
  }
  for (; j < p.length && p[j] !== ']'; j++) {
    const c = p[j]!;
    if (c === '\\' && j + 1 < p.length) {
      body += `\\${p[++j]}`;
    } else if (c === '/') {
      return undefined; // a class never matches `/`; git treats the `[` literally then
    } else {
      body += c === '^' || c === '[' ? `\\${c}` : c;
    }
  }
  if (j >= p.length || body === '') return undefined;
  return { source: `[${negate ? '^' : ''}${body}${negate ? '/' : ''}]`, end: j };
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
}

function translate(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        const atStart = i === 0 || p[i - 1] === '/';
        const atEnd = i + 2 === p.length || p[i + 2] === '/';
        if (atStart && atEnd) {
          if (i + 2 === p.length) {
            out += '.*'; // `a/**`: everything inside a
          } else {
            out += '(?:.*/)?'; // `**/b`, `a/**/b`: zero or more directories
            i++; // the `/` after `**`
          }
          i++;
          continue;
        }
      }
      out += '[^/]*';
      while (p[i + 1] === '*') i++;
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const cls = classAt(p, i);
      if (cls === undefined) {
        out += '\\[';
      } else {
        out += cls.source;
        i = cls.end;
      }
    } else if (c === '\\' && i + 1 < p.length) {
      out += escapeChar(p[++i]!);
    } else {
      out += escapeChar(c);
    }
  }
  return out;
}

/** Compile one pattern; a pattern that can match nothing (empty, only `/`) is an error. */
export function compileGlob(pattern: string): GlobResult {
  let p = pattern.trim();
  const negate = p.startsWith('!');
  if (negate) p = p.slice(1);
  const dirOnly = p.endsWith('/');
  p = p.replace(/\/+$/, '');
  const leading = p.startsWith('/');
  p = p.replace(/^\/+/, '');
  if (p === '') return { ok: false, message: `the pattern ${JSON.stringify(pattern)} is empty` };
  if (p.split('/').some((c) => c === '.' || c === '..')) {
    return {
      ok: false,
      message: `the pattern ${JSON.stringify(pattern)} contains a "." or ".." component`,
    };
  }
  const anchored = leading || p.includes('/');
  const body = translate(p);
  const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`, 's');
  const parts = p.split('/');
  const fixed: string[] = [];
  if (anchored) {
    for (const c of parts) {
      if (SPECIAL.test(c)) break;
      fixed.push(c);
    }
  }
  const literal = anchored && fixed.length === parts.length;
  return {
    ok: true,
    glob: { pattern, negate, dirOnly, anchored, literalPrefix: fixed.join('/'), literal, regex },
  };
}

/** Whether `glob` matches `rel` (relative to its base, no leading `/`). */
export function globMatches(glob: Glob, rel: string, isDirectory: boolean): boolean {
  if (glob.dirOnly && !isDirectory) return false;
  return glob.regex.test(rel);
}

/**
 * Whether `glob` can match anything inside the directory `rel` (relative to its base; `''`
 * for the base itself): false once the walk has left its literal prefix.
 */
export function globReachesInto(glob: Glob, rel: string): boolean {
  if (!glob.anchored || rel === '' || glob.literalPrefix === '') return true;
  const inside = `${rel}/`;
  const prefix = `${glob.literalPrefix}/`;
  // On the way to the literal part (`var` for `var/cache`): a child may still match.
  if (prefix.startsWith(inside)) return inside !== prefix || !glob.literal;
  // Past it, only wildcards can match (`home/*/.cache` inside `home/jane`).
  return !glob.literal && inside.startsWith(prefix);
}
