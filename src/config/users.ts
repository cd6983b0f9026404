// The top-level `users.<name>`: the user's `home`, and the storage locations of Home Manager's
// classic layout under its `persistence` (with removePrefixDirectory), its home `files`, and
// the `ignore` patterns of its home.

import type { Builder } from './builder.js';
import { readEntryLists } from './entries.js';
import { userHomeFiles } from './home-files.js';
import { readIgnores } from './ignores.js';
import { readLocationHeader } from './location-header.js';
import { joinPath } from './paths.js';
import { quoted } from './quoted.js';
import type { Position, RawNode, Segment } from './raw.js';
import { bool, map, readSection } from './sections.js';
import { absolutePath } from './values.js';

/** `users.<name>.home`; read before any location so that every block sees it. */
export function userHome(b: Builder, name: string, node: RawNode) {
  const at: Segment[] = ['users', name];
  if (node.kind !== 'map') return;
  const homeEntry = node.entries.find((e) => e.key === 'home');
  if (homeEntry === undefined || homeEntry.value.kind !== 'scalar') return;
  const v = homeEntry.value.value;
  if (typeof v !== 'string') return; // reported by the section check
  const path = absolutePath(b.r, v, [...at, 'home'], homeEntry.value.pos);
  if (path !== undefined) {
    b.homes.set(name, { path, source: b.r.source([...at, 'home'], homeEntry.value.pos) });
  }
}

/** `users.<name>`, with Home Manager's classic `persistence`. */
export function user(b: Builder, name: string, keyPos: Position, node: RawNode) {
  const at: Segment[] = ['users', name];
  // A bad `home` path is reported by userHome; its type by the section check.
  const fields = readSection(b.r, node, 'user', at);
  if (fields === undefined) return;
  const persistence = map(fields, 'persistence');
  for (const l of persistence?.entries ?? []) {
    const lAt = [...at, 'persistence', l.key];
    const loc = readLocationHeader(b.r, l.key, l.keyPos, l.value, 'homeLocation', lAt);
    if (loc === undefined) continue;
    const lf = loc.fields;
    const removePrefix = bool(lf, 'removePrefixDirectory') ?? false;
    const hint = b.homes.get(name)?.path ?? b.accounts.user(name)?.home;
    const ids = { directory: 'homeDirectory', file: 'homeFile' } as const;
    const inputs = readEntryLists(b.r, lf, ids, lAt, true, hint).filter((input) => {
      if (!removePrefix || input.path.includes('/')) return true;
      b.r.error(
        'prefix-only',
        [...input.list, input.index],
        input.pos,
        `${quoted(input.path)} has nothing left once removePrefixDirectory drops its first component`,
        'write it as "<prefix>/<path in the home>" (e.g. "gpg/.gnupg"), or set removePrefixDirectory: false',
      );
      return false;
    });
    if (!loc.enabled) continue;
    b.noteLocation(loc);
    const own = b.userStores.get(name);
    if (own === undefined) b.userStores.set(name, [loc.storePath]);
    else own.push(loc.storePath);
    if (inputs.length === 0) continue;
    const home = b.resolveHome(name, at, keyPos);
    if (home === undefined) continue;
    b.addEntries(inputs, loc, home, (input, storeRoot) => {
      const onHomeSide = removePrefix ? input.path.slice(input.path.indexOf('/') + 1) : input.path;
      return { target: joinPath(home.path, onHomeSide), store: joinPath(storeRoot, input.path) };
    });
  }
  const ignores = readIgnores(b.r, fields, at, '/');
  if (ignores.length > 0) {
    const home = b.resolveHome(name, at, keyPos);
    if (home !== undefined) b.ignores.push(...ignores.map((i) => ({ ...i, base: home.path })));
  }
  const homeFiles = userHomeFiles(b, name, keyPos, fields);
  if (homeFiles !== undefined) b.homeFiles.push(homeFiles);
}
