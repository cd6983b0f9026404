// Unit files as data: sections of `Key=value` lines (and `#` comments), rendered in one place.

import { commentText } from './escape.js';
import type { CompiledFile } from './types.js';

/** `['#', text]` is a comment line. Values are written as given: escape them first. */
export type UnitLine = readonly [key: string, value: string];

export interface UnitSection {
  name: 'Unit' | 'Mount' | 'Service' | 'Install';
  lines: UnitLine[];
}

export function renderUnit(header: readonly string[], sections: readonly UnitSection[]): string {
  const out = header.map((l) => `# ${commentText(l)}`);
  for (const s of sections) {
    out.push('', `[${s.name}]`);
    for (const [key, value] of s.lines)
      out.push(key === '#' ? `# ${commentText(value)}` : `${key}=${value}`);
  }
  return `${out.join('\n')}\n`;
}

/** One `Key=` line per value (lists of unit names or paths read better, and diff better). */
export function each(key: string, values: readonly string[]): UnitLine[] {
  return values.map((v) => [key, v] as const);
}

export function unitFile(
  path: string,
  header: readonly string[],
  sections: UnitSection[],
): CompiledFile {
  return { path, content: renderUnit(header, sections) };
}

/** The `.wants/` link that installs `unit` into `into` (what `systemctl enable` would make). */
export function wantsLink(dir: string, into: string, unit: string): CompiledFile {
  const base = dir === '' ? '' : `${dir}/`;
  return { path: `${base}${into}.wants/${unit}`, content: '', symlink: `../${unit}` };
}
