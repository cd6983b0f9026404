// Paths as real configurations write them: trailing slashes, doubled slashes, `./` prefixes,
// names with spaces. Normalised here into one canonical form, or rejected with a fix.

import { posix } from 'node:path';
import { isInside } from '../core/paths.js';
import { quoted } from './quoted.js';

export type PathResult =
  | {
      ok: true;
      path: string;
      warnings: string[];
      /** A home entry written with a leading "/", read relative to the home. */
      leadingSlash?: true;
    }
  | { ok: false; code: PathErrorCode; message: string; hint: string };

export type PathErrorCode =
  | 'empty-path'
  | 'control-character'
  | 'relative-path'
  | 'dot-dot'
  | 'root-path'
  | 'absolute-home-path'
  | 'tilde-path'
  | 'home-itself'
  | 'name-too-long'
  | 'path-too-long';

/** The kernel's limits: NAME_MAX for one component, PATH_MAX less its terminating NUL. */
export const NAME_MAX = 255;
export const PATH_MAX = 4095;

/** A component or a whole path longer than the kernel accepts (ENAMETOOLONG when applying). */
function tooLong(raw: string, parts: readonly string[]): PathResult | undefined {
  for (const part of parts) {
    const bytes = Buffer.byteLength(part, 'utf8');
    if (bytes <= NAME_MAX) continue;
    return {
      ok: false,
      code: 'name-too-long',
      message: `the name ${quoted(`${part.slice(0, 40)}...`)} is ${bytes} bytes long; a file name can have at most ${NAME_MAX} bytes`,
      hint: 'shorten the name',
    };
  }
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes <= PATH_MAX) return undefined;
  return {
    ok: false,
    code: 'path-too-long',
    message: `the path ${quoted(`${raw.slice(0, 40)}...`)} is ${bytes} bytes long; a path can have at most ${PATH_MAX} bytes`,
    hint: 'shorten the path',
  };
}

/** Split a cleaned-up path into components, dropping empty and `.` components. */
function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

function common(raw: string): { value: string; warnings: string[] } | PathResult {
  const warnings: string[] = [];
  const value = raw.trim();
  if (value !== raw && value !== '') {
    warnings.push(
      `${quoted(raw)} has leading or trailing whitespace; it is read as ${quoted(value)}`,
    );
  }
  if (value === '') {
    return {
      ok: false,
      code: 'empty-path',
      message: raw === '' ? 'the path is empty' : `${quoted(raw)} is blank`,
      hint: 'write a path, or remove the entry',
    };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    return {
      ok: false,
      code: 'control-character',
      message: `${quoted(raw)} contains a control character (such as a newline or tab)`,
      hint: 'remove the control character from the path',
    };
  }
  return { value, warnings };
}

function dotDot(raw: string, suggestion: string | undefined): PathResult {
  return {
    ok: false,
    code: 'dot-dot',
    message: `${quoted(raw)} contains a ".." component; paths must not climb out of their base`,
    hint:
      suggestion === undefined
        ? 'write the path without ".." components'
        : `write the path without "..": ${quoted(suggestion)}`,
  };
}

const SLASH = 47;

/**
 * A path already in the form normaliseAbsolute gives: "/" and names, none of them "." or "..",
 * none empty, none with a control character, each of at most NAME_MAX / 3 UTF-16 code units (so
 * at most NAME_MAX bytes in UTF-8). The pattern runs natively, unlike a loop over characters
 * in code that runs once.
 */
const CANONICAL_ABSOLUTE = new RegExp(
  `^(?:/(?!\\.\\.?(?:/|$))[^/\\u0000-\\u001f\\u007f]{1,${Math.floor(NAME_MAX / 3)}})+$`,
);

/**
 * Whether `raw` is already what normaliseAbsolute makes of it: canonical, with nothing for
 * trim() to remove, and too short for PATH_MAX. Configurations are written that way almost
 * always, and each of their thousands of paths then costs one match instead of the splitting
 * and checks below.
 */
function canonicalAbsolute(raw: string): boolean {
  return (
    raw.length * 3 <= PATH_MAX &&
    CANONICAL_ABSOLUTE.test(raw) &&
    raw.trimEnd().length === raw.length
  );
}

/** An absolute system path (a target, a storage path, a home). */
export function normaliseAbsolute(raw: string): PathResult {
  if (canonicalAbsolute(raw)) return { ok: true, path: raw, warnings: [] };
  const c = common(raw);
  if ('ok' in c) return c;
  const { value, warnings } = c;
  if (!value.startsWith('/')) {
    const fixed = normaliseAbsolute(`/${value.replace(/^(\.\/)+/, '')}`);
    return {
      ok: false,
      code: 'relative-path',
      message: `${quoted(value)} is a relative path; system paths must be absolute`,
      hint: fixed.ok
        ? `write ${quoted(fixed.path)} (start it with "/")`
        : 'start the path with "/"',
    };
  }
  const parts = components(value);
  if (parts.includes('..')) {
    const resolved = posix.normalize(value).replace(/\/+$/, '');
    return dotDot(value, resolved === '' || resolved === '/' ? undefined : resolved);
  }
  return below(value, parts, `/${parts.join('/')}`, warnings, {
    code: 'root-path',
    message: `${quoted(value)} is the root directory itself, which cannot be persisted this way`,
    hint: 'list the directories under / that should persist instead',
  });
}

/**
 * The checks both kinds of path end with: not too long, and naming something below the root
 * or the home (`itself`: the error when the path names that directory itself).
 */
function below(
  value: string,
  parts: string[],
  path: string,
  warnings: string[],
  itself: { code: PathErrorCode; message: string; hint: string },
): PathResult {
  const long = tooLong(value, parts);
  if (long !== undefined) return long;
  if (parts.length === 0) return { ok: false, ...itself };
  return { ok: true, path, warnings };
}

/**
 * A path relative to a home directory. `home`, when known, helps suggest a fix for an absolute
 * path written where a relative one belongs.
 */
export function normaliseRelative(raw: string, home?: string): PathResult {
  const c = common(raw);
  if ('ok' in c) return c;
  const { value, warnings } = c;
  if (value.startsWith('/')) {
    const abs = normaliseAbsolute(value);
    let hint =
      'write it relative to the home directory, e.g. ".ssh", or declare it as a system path';
    if (abs.ok && home !== undefined && isInside(abs.path, home)) {
      hint = `write ${quoted(abs.path.slice(home.length + 1))} (relative to ${home})`;
    }
    return {
      ok: false,
      code: 'absolute-home-path',
      message: `${quoted(value)} is an absolute path, but entries of a user are relative to their home directory`,
      hint,
    };
  }
  if (value === '~' || value.startsWith('~/')) {
    const rest = value.replace(/^~\/*/, '');
    return {
      ok: false,
      code: 'tilde-path',
      message: `${quoted(value)} starts with "~", which is not expanded; entries of a user are already relative to their home`,
      hint: rest === '' ? 'remove the entry' : `write ${quoted(rest)}`,
    };
  }
  const parts = components(value);
  if (parts.includes('..')) {
    const resolved = posix.normalize(value).replace(/\/+$/, '');
    const ok = resolved !== '' && resolved !== '.' && !resolved.startsWith('..');
    return dotDot(value, ok ? resolved : undefined);
  }
  return below(value, parts, parts.join('/'), warnings, {
    code: 'home-itself',
    message: `${quoted(value)} names the home directory itself`,
    hint: 'to persist a whole home, declare it as a system directory, e.g. "/home/jane"',
  });
}

/**
 * An entry of a user's persistence, relative to their home. impermanence joins the home and the
 * entry as strings, so "/Documents" there means "Documents": it is read that way here too
 * (with `leadingSlash` set, for a warning). An absolute path inside the home stays an error:
 * joined, "/home/jane/.ssh" would name "/home/jane/home/jane/.ssh", which is never meant.
 */
export function normaliseHomeEntry(raw: string, home?: string): PathResult {
  const value = raw.trim();
  if (!value.startsWith('/')) return normaliseRelative(raw, home);
  const abs = normaliseAbsolute(value);
  if (abs.ok && home !== undefined && isInside(abs.path, home)) return normaliseRelative(raw, home);
  const rel = normaliseRelative(value.replace(/^\/+/, '') || '.', home);
  if (!rel.ok) return rel;
  const c = common(raw);
  return { ...rel, warnings: 'ok' in c ? [] : c.warnings, leadingSlash: true };
}

/**
 * Join path pieces (`/persist` + `/var/log`, `/home/jane` + `.ssh`): "/" and every non-empty
 * component of every piece, in order. A piece already in canonical form (no empty component
 * inside or at its end) is its components joined by "/" as it stands, so it is appended whole:
 * pieces come normalised, and every entry joins two or three of them.
 */
export function joinPath(...parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (part !== '' && !part.endsWith('/') && !part.includes('//')) {
      out += part.charCodeAt(0) === SLASH ? part : `/${part}`;
      continue;
    }
    for (const c of part.split('/')) if (c !== '') out += `/${c}`;
  }
  return out === '' ? '/' : out;
}

/** `child` relative to `parent`, when it is inside it (or equal: ""). */
export function relativeTo(child: string, parent: string): string | undefined {
  if (child === parent) return '';
  if (!isInside(child, parent)) return undefined;
  return parent === '/' ? child.slice(1) : child.slice(parent.length + 1);
}
