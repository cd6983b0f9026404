// `persistence.<location>.users.<name>`: paths inside a user's home that a storage location
// keeps, stored under the home's own path in the store.

import type { Builder } from './builder.js';
import { readEntryLists } from './entries.js';
import { readIgnores } from './ignores.js';
import type { LocationInfo } from './location-header.js';
import { joinPath } from './paths.js';
import type { RawEntry, Segment } from './raw.js';
import { readSection, str } from './sections.js';
import { absolutePath } from './values.js';

/** `persistence.<location>.users.<name>`, the user being `u`; `at` is the location's path. */
export function locationUser(b: Builder, loc: LocationInfo, at: readonly Segment[], u: RawEntry) {
  const uAt = [...at, 'users', u.key];
  const uf = readSection(b.r, u.value, 'locationUser', uAt);
  if (uf === undefined) return;
  const homeField = str(uf, 'home');
  const explicitHome =
    homeField === undefined
      ? undefined
      : absolutePath(b.r, homeField.value, [...uAt, 'home'], homeField.node.pos);
  const hint = explicitHome ?? b.homes.get(u.key)?.path ?? b.accounts.user(u.key)?.home;
  const ids = { directory: 'directory', file: 'file' } as const;
  const inputs = readEntryLists(b.r, uf, ids, uAt, true, hint);
  const ignores = readIgnores(b.r, uf, uAt, '/');
  if (!loc.enabled || (inputs.length === 0 && ignores.length === 0)) return;
  if (homeField !== undefined && explicitHome === undefined) return;
  const home = b.resolveHome(u.key, uAt, u.keyPos, explicitHome);
  if (home === undefined) return;
  b.ignores.push(...ignores.map((i) => ({ ...i, base: home.path })));
  b.addEntries(inputs, loc, home, (input, storeRoot) => ({
    target: joinPath(home.path, input.path),
    store: joinPath(storeRoot, home.path, input.path),
  }));
}
