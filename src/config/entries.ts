// Reading the `directories` and `files` lists of a section: each item, a bare path or an entry
// map, becomes an EntryInput with its path normalised and its options checked.

import type { SourceRef } from '../model/types.js';
import type { AccountRef } from './draft.js';
import { normaliseAbsolute, normaliseHomeEntry } from './paths.js';
import { quoted } from './quoted.js';
import type { Position, RawNode, RawScalar, Segment } from './raw.js';
import { describe, type Reporter } from './reporter.js';
import type { SectionId } from './schema.js';
import { bool, type Fields, readSection, str } from './sections.js';
import { absolutePath, accountOf, modeOf } from './values.js';

export interface EntryInput {
  kind: 'directory' | 'file';
  /** Normalised; absolute for system entries, relative for home entries. */
  path: string;
  segments: Segment[];
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
  const other = kind === 'directory' ? 'file' : 'directory';
  const out: EntryInput[] = [];
  node.items.forEach((item, index) => {
    const at = [...segments, index];
    let pathNode: RawScalar | undefined;
    let fields: Fields | undefined;
    if (item.kind === 'scalar' && typeof item.value === 'string') {
      pathNode = item;
    } else if (item.kind === 'map') {
      const keys = new Set(item.entries.map((e) => e.key));
      if (keys.has(other) && !keys.has(kind)) {
        r.error(
          'wrong-list',
          at,
          item.pos,
          `this is a ${other} entry (it has \`${other}\`), but it is listed under ${kind === 'directory' ? 'directories' : 'files'}`,
          `move it to ${other === 'directory' ? 'directories' : 'files'}, or rename \`${other}\` to \`${kind}\``,
        );
        return;
      }
      fields = readSection(r, item, id, at);
      if (fields === undefined) return;
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
        return;
      }
      if (p.kind !== 'scalar' || typeof p.value !== 'string') return;
      pathNode = p;
    } else {
      r.error(
        'invalid-entry',
        at,
        item.pos,
        `expected a path or an entry map, got ${describe(item)}`,
        `write a path such as ${relative ? '".ssh"' : '"/var/lib/example"'}, or a map such as { ${kind}: ${relative ? '".ssh"' : '"/var/lib/example"'}, mode: "0700" }`,
      );
      return;
    }
    const pathAt = fields === undefined ? at : [...at, kind];
    const raw = pathNode.value as string;
    const result = relative ? normaliseHomeEntry(raw, home) : normaliseAbsolute(raw);
    if (!result.ok) {
      const hint =
        result.code === 'relative-path'
          ? `${result.hint}; paths inside a home belong under persistence.<location>.users.<user>`
          : result.hint;
      r.error(result.code, pathAt, pathNode.pos, result.message, hint);
      // Keep checking the rest of the entry.
    } else {
      for (const w of result.warnings) {
        r.warn('path-whitespace', pathAt, pathNode.pos, w, 'remove the surrounding spaces');
      }
      if (result.leadingSlash === true) {
        r.warn(
          'home-path-leading-slash',
          pathAt,
          pathNode.pos,
          `${quoted(raw.trim())} starts with "/"; entries of a user are relative to their home, so it is read as ${quoted(result.path)}`,
          `write ${quoted(result.path)}`,
        );
      }
    }
    const input: EntryInput = {
      kind,
      path: result.ok ? result.path : '',
      segments: at,
      source: r.source(at, item.pos),
      pos: item.pos,
      parents: {},
    };
    if (fields !== undefined) {
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
        if (p === undefined) return;
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
    }
    if (result.ok) out.push(input);
  });
  return out;
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
