// Which undeclared paths are not worth reporting: keepsake's built-in list of state that is
// regenerated at every boot, then the configuration's `ignore` patterns, each relative to its
// base (`/`, or a user's home). As in gitignore, the last pattern that matches decides, and
// nothing inside an ignored directory is looked at again. Pure.

import { compileGlob, type Glob, globMatches, globReachesInto } from '../core/glob.js';
import { isWithin } from '../core/paths.js';
import { UsageError } from '../errors.js';
import type { IgnorePattern } from '../model/types.js';

/** State that is regenerated, cached or downloaded again; anchored at `/`. */
export const DEFAULT_IGNORES: readonly string[] = [
  '/tmp/',
  '/var/tmp/',
  '/var/cache/',
  '/nix/store/',
  '/lost+found/',
  '/etc/mtab',
  '/etc/resolv.conf',
  '/etc/ld.so.cache',
  '/etc/.pwd.lock',
  '/etc/.updated',
  '/var/.updated',
  '/etc/.clean',
  '/etc/static',
  '/etc/NIXOS',
  '/home/*/.cache/',
  '/root/.cache/',
];

export interface IgnoreRule {
  glob: Glob;
  /** The directory the pattern is relative to. */
  base: string;
  /** Where it comes from: `built-in`, or the option and file position. */
  origin: string;
}

/** The built-in rules, then the configuration's, in order (later ones win). */
export function buildIgnoreRules(
  configured: readonly IgnorePattern[],
  opts: { defaults: boolean },
): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  const add = (pattern: string, base: string, origin: string) => {
    const compiled = compileGlob(pattern);
    if (compiled.ok) rules.push({ glob: compiled.glob, base, origin });
  };
  if (opts.defaults) for (const p of DEFAULT_IGNORES) add(p, '/', 'built-in');
  for (const p of configured) {
    const at = p.source.line > 0 ? `${p.source.file}:${p.source.line}` : p.source.file;
    add(p.pattern, p.base, `${p.source.option} (${at})`);
  }
  return rules;
}

function relativeTo(base: string, path: string): string {
  return base === '/' ? path.slice(1) : path.slice(base.length + 1);
}

/**
 * The rules that may match something inside the directory `dir`, from those that could match
 * inside its parent: a rule whose base lies deeper waits; one whose literal part the walk has
 * left is dropped for the whole subtree.
 */
export function rulesInside(rules: readonly IgnoreRule[], dir: string): IgnoreRule[] {
  return rules.filter((r) => {
    if (!isWithin(dir, r.base)) return isWithin(r.base, dir);
    return globReachesInto(r.glob, dir === r.base ? '' : relativeTo(r.base, dir));
  });
}

/** The rule that ignores `path`, or undefined when none does (or the last match re-includes it). */
export function ignoredBy(
  rules: readonly IgnoreRule[],
  path: string,
  isDirectory: boolean,
): IgnoreRule | undefined {
  let last: IgnoreRule | undefined;
  for (const r of rules) {
    if (path === r.base || !isWithin(path, r.base)) continue;
    if (globMatches(r.glob, relativeTo(r.base, path), isDirectory)) last = r;
  }
  return last === undefined || last.glob.negate ? undefined : last;
}

/**
 * The pattern `keepsake ignore` writes for what was typed: as typed, except that an absolute
 * path inside `home` (for a user's list) becomes anchored at the home.
 */
export function ignorePatternFor(typed: string, home: string | undefined): string {
  const pattern = typed.trim();
  if (pattern === '') throw new UsageError('keepsake ignore needs a path or a pattern');
  if (home !== undefined && pattern.startsWith('/')) {
    if (!isWithin(pattern.replace(/\/+$/, ''), home) || pattern.replace(/\/+$/, '') === home) {
      throw new UsageError(
        `${pattern} is not inside the home ${home}`,
        'give a path inside the home, or one relative to it (e.g. .local/share/Trash/)',
      );
    }
    return pattern.slice(home.length);
  }
  if (!compileGlob(pattern).ok) {
    throw new UsageError(
      `${JSON.stringify(typed)} is not a usable pattern`,
      'e.g. /var/lib/foo/cache/ or *.pid',
    );
  }
  return pattern;
}
