// Reading single values whose checks go beyond their type: absolute paths, modes, and the
// users and groups an entry names (resolved to ids later, once every entry is read).

import type { AccountRef } from './draft.js';
import { parseMode } from './mode.js';
import { normaliseAbsolute } from './paths.js';
import type { Position, RawEntry, Segment } from './raw.js';
import type { Reporter } from './reporter.js';

export function absolutePath(
  r: Reporter,
  value: string,
  at: readonly Segment[],
  pos: Position,
): string | undefined {
  const result = normaliseAbsolute(value);
  if (!result.ok) {
    r.error(result.code, at, pos, result.message, result.hint);
    return undefined;
  }
  for (const w of result.warnings)
    r.warn('path-whitespace', at, pos, w, 'remove the surrounding spaces');
  return result.path;
}

export function modeOf(
  r: Reporter,
  entry: RawEntry | undefined,
  kind: 'directory' | 'file',
  at: readonly Segment[],
): number | undefined {
  if (entry === undefined || entry.value.kind !== 'scalar') return undefined;
  const { value, text } = entry.value;
  const result = parseMode(value, kind, text);
  if (result.ok) return result.mode;
  r.error(
    'invalid-mode',
    [...at, entry.key],
    entry.value.pos,
    result.message,
    'for example "0700" (owner only), "0750", "u=rwx,g=rx,o="',
  );
  return undefined;
}

/** The largest uid or gid: 2^32-1 is chown's "unchanged". */
export const MAX_ID = 4294967294;

export function accountOf(
  r: Reporter,
  entry: RawEntry | undefined,
  of: 'user' | 'group',
  at: readonly Segment[],
): AccountRef | undefined {
  if (entry === undefined || entry.value.kind !== 'scalar') return undefined;
  const v = entry.value.value;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const value = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof value === 'number' && value > MAX_ID) {
    // chown(2) reads 2^32-1 as "leave unchanged", and larger ids do not fit its argument: both
    // would pass here and fail, or silently do nothing, while applying.
    const noun = of === 'user' ? 'uid' : 'gid';
    r.error(
      'invalid-id',
      [...at, entry.key],
      entry.value.pos,
      `${of} ${typeof v === 'string' ? v.trim() : (entry.value.text ?? String(v))} is not a valid ${noun}: ids run from 0 to ${MAX_ID}`,
      `give a ${noun} between 0 and ${MAX_ID}, or a ${of} name`,
    );
    return undefined;
  }
  return { of, value, source: r.source([...at, entry.key], entry.value.pos) };
}
