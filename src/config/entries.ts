// Reading the `directories` and `files` lists of a section: each item, a bare path or an entry
// map, becomes an EntryInput with its path normalised and its options checked.

import type { SourceRef } from '../model/types.js';
import type { AccountRef } from './draft.js';
import { normaliseAbsolute, normaliseHomeEntry } from './paths.js';
import { quoted } from './quoted.js';
import type { Position, RawNode, RawScalar, Segment } from './raw.js';
import { describe, optionPath, type Reporter } from './reporter.js';
import type { SectionId } from './schema.js';
import { bool, type Fields, readSection, str } from './sections.js';
import { absolutePath, accountOf, modeOf } from './values.js';

export interface EntryInput {
  kind: 'directory' | 'file';
  /** Normalised; absolute for system entries, relative for home entries. */
  path: string;
  /** The list the entry is in, and its place there: `[...list, index]` is where it is. */
  list: readonly Segment[];
  index: number;
  source: SourceRef;
  pos: Position;
  user?: AccountRef;
  group?: AccountRef;
  mode?: number;
  method?: string;
  storagePath?: string;
  hideMount?: boolean;
  allowTrash?: boolean;
  adopt?: boolean;
  parents: { user?: AccountRef; group?: AccountRef; mode?: number };
}

/** What every entry of one list is read with. */
interface ListContext {
  r: Reporter;
  kind: 'directory' | 'file';
  id: SectionId;
  segments: readonly Segment[];
  /** optionPath(segments), once per list: an entry's option path is this and `[index]`. */
  option: string;
  relative: boolean;
  home: string | undefined;
}

/** Where an entry is: made only for a message or a map of options, since most entries are a
 *  bare path that passes and never need it. */
function entryAt(list: readonly Segment[], index: number): Segment[] {
  const at = list.slice();
  at.push(index);
  return at;
}

function readEntries(
  r: Reporter,
  node: RawNode | undefined,
  kind: 'directory' | 'file',
  id: SectionId,
  segments: readonly Segment[],
  relative: boolean,
  home?: string,
): EntryInput[] {
  if (node === undefined || node.kind !== 'seq') return [];
  const ctx: ListContext = { r, kind, id, segments, option: optionPath(segments), relative, home };
  const out: EntryInput[] = [];
  const { items } = node;
  for (let index = 0; index < items.length; index++) {
    const input = readEntry(ctx, items[index]!, index);
    if (input !== undefined) out.push(input);
  }
  return out;
}

/** One item of a list, or undefined when it is refused (and reported). */
function readEntry(ctx: ListContext, item: RawNode, index: number): EntryInput | undefined {
  const { r, kind, relative, home, segments } = ctx;
  const other = kind === 'directory' ? 'file' : 'directory';
  let pathNode: RawScalar | undefined;
  let fields: Fields | undefined;
  let at: Segment[] | undefined;
  if (item.kind === 'scalar' && typeof item.value === 'string') {
    pathNode = item;
  } else if (item.kind === 'map') {
    at = entryAt(segments, index);
    const keys = new Set(item.entries.map((e) => e.key));
    if (keys.has(other) && !keys.has(kind)) {
      r.error(
        'wrong-list',
        at,
        item.pos,
        `this is a ${other} entry (it has \`${other}\`), but it is listed under ${kind === 'directory' ? 'directories' : 'files'}`,
        `move it to ${other === 'directory' ? 'directories' : 'files'}, or rename \`${other}\` to \`${kind}\``,
      );
      return undefined;
    }
    fields = readSection(r, item, ctx.id, at);
    if (fields === undefined) return undefined;
    const p = fields.get(kind)?.value;
    if (p === undefined) {
      if (!keys.has(kind)) {
        r.error(
          'missing-path',
          at,
          item.pos,
          `the entry has no \`${kind}\``,
          `add the path: { ${kind}: ${relative ? '".ssh"' : '"/var/lib/example"'}, ... }`,
        );
      }
      return undefined;
    }
    if (p.kind !== 'scalar' || typeof p.value !== 'string') return undefined;
    pathNode = p;
  } else {
    r.error(
      'invalid-entry',
      entryAt(segments, index),
      item.pos,
      `expected a path or an entry map, got ${describe(item)}`,
      `write a path such as ${relative ? '".ssh"' : '"/var/lib/example"'}, or a map such as { ${kind}: ${relative ? '".ssh"' : '"/var/lib/example"'}, mode: "0700" }`,
    );
    return undefined;
  }
  // The path's own place: the item, or its `directory`/`file` key.
  const pathAt = (): Segment[] => (at === undefined ? entryAt(segments, index) : [...at, kind]);
  const raw = pathNode.value as string;
  const result = relative ? normaliseHomeEntry(raw, home) : normaliseAbsolute(raw);
  if (!result.ok) {
    const hint =
      result.code === 'relative-path'
        ? `${result.hint}; paths inside a home belong under persistence.<location>.users.<user>`
        : result.hint;
    r.error(result.code, pathAt(), pathNode.pos, result.message, hint);
    // Keep checking the rest of the entry.
  } else {
    for (const w of result.warnings) {
      r.warn('path-whitespace', pathAt(), pathNode.pos, w, 'remove the surrounding spaces');
    }
    if (result.leadingSlash === true) {
      r.warn(
        'home-path-leading-slash',
        pathAt(),
        pathNode.pos,
        `${quoted(raw.trim())} starts with "/"; entries of a user are relative to their home, so it is read as ${quoted(result.path)}`,
        `write ${quoted(result.path)}`,
      );
    }
  }
  const input: EntryInput = {
    kind,
    path: result.ok ? result.path : '',
    list: segments,
    index,
    source: r.sourceAt(`${ctx.option}[${index}]`, item.pos),
    pos: item.pos,
    parents: {},
  };
  if (fields !== undefined && at !== undefined && !readOptions(ctx, input, fields, at)) {
    return undefined;
  }
  return result.ok ? input : undefined;
}

/** The options of an entry written as a map; false when its storage path is refused. */
function readOptions(ctx: ListContext, input: EntryInput, fields: Fields, at: Segment[]): boolean {
  const { r, kind } = ctx;
  const user = accountOf(r, fields.get('user'), 'user', at);
  const group = accountOf(r, fields.get('group'), 'group', at);
  const mode = modeOf(r, fields.get('mode'), kind, at);
  if (user) input.user = user;
  if (group) input.group = group;
  if (mode !== undefined) input.mode = mode;
  const method = str(fields, 'method');
  if (method) input.method = method.value;
  const psp = str(fields, 'persistentStoragePath');
  if (psp) {
    const p = absolutePath(r, psp.value, [...at, 'persistentStoragePath'], psp.node.pos);
    if (p === undefined) return false;
    input.storagePath = p;
  }
  const hideMount = bool(fields, 'hideMount');
  if (hideMount !== undefined) input.hideMount = hideMount;
  const allowTrash = bool(fields, 'allowTrash');
  if (allowTrash !== undefined) input.allowTrash = allowTrash;
  const adopt = bool(fields, 'adopt');
  if (adopt !== undefined) input.adopt = adopt;
  const parentNode = fields.get('parentDirectory');
  if (parentNode !== undefined) {
    const pAt = [...at, 'parentDirectory'];
    const pf = readSection(r, parentNode.value, 'parentDirectory', pAt);
    const pu = accountOf(r, pf?.get('user'), 'user', pAt);
    const pg = accountOf(r, pf?.get('group'), 'group', pAt);
    const pm = modeOf(r, pf?.get('mode'), 'directory', pAt);
    if (pu) input.parents.user = pu;
    if (pg) input.parents.group = pg;
    if (pm !== undefined) input.parents.mode = pm;
  }
  return true;
}

/**
 * The `directories` then the `files` of a section, read with the sections their entries are
 * checked against; `relative` for paths inside a home (`home`, when known, helps the hints).
 */
export function readEntryLists(
  r: Reporter,
  fields: Fields,
  ids: { directory: SectionId; file: SectionId },
  at: readonly Segment[],
  relative: boolean,
  home?: string,
): EntryInput[] {
  const list = (kind: 'directory' | 'file', key: 'directories' | 'files') =>
    readEntries(r, fields.get(key)?.value, kind, ids[kind], [...at, key], relative, home);
  return [...list('directory', 'directories'), ...list('file', 'files')];
}
