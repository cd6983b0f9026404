// libmount's utab lines: `KEY=value` pairs separated by spaces, values escaped like
// mountinfo. Pure: reading and writing the file is system/utab.ts.

import type { UtabEntry } from '../model/observed.js';
import { unescapeMountPath } from './mountinfo.js';

/** libmount's field order; other keys follow in the order given. */
const ORDER = ['ID', 'SRC', 'TARGET', 'ROOT', 'BINDSRC', 'ATTRS', 'OPTS'];

export function parseUtab(text: string): UtabEntry[] {
  const entries: UtabEntry[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields: Record<string, string> = {};
    for (const token of trimmed.split(/[ \t]+/)) {
      const eq = token.indexOf('=');
      if (eq > 0) fields[token.slice(0, eq)] = unescapeMountPath(token.slice(eq + 1));
    }
    if (Object.keys(fields).length > 0) entries.push({ fields });
  }
  return entries;
}

/** Escapes space, tab, newline and backslash as `\ooo`, like libmount's mangle(); the kernel
 *  writes paths in /proc/self/mountinfo the same way. */
export function mangle(value: string): string {
  return value.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export function formatUtabLine(fields: Record<string, string>): string {
  const keys = [
    ...ORDER.filter((k) => k in fields),
    ...Object.keys(fields).filter((k) => !ORDER.includes(k)),
  ];
  return keys.map((k) => `${k}=${mangle(fields[k]!)}`).join(' ');
}
