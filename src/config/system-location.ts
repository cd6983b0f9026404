// `persistence.<location>`: a storage location and the system paths it keeps, followed by the
// users whose home paths it also keeps.

import type { Builder } from './builder.js';
import { readEntryLists } from './entries.js';
import { readIgnores } from './ignores.js';
import { readLocationHeader } from './location-header.js';
import { locationUser } from './location-users.js';
import { joinPath } from './paths.js';
import type { Position, RawNode, Segment } from './raw.js';
import { map } from './sections.js';

/** `persistence.<location>`. */
export function location(b: Builder, key: string, keyPos: Position, node: RawNode) {
  const at: Segment[] = ['persistence', key];
  const loc = readLocationHeader(b.r, key, keyPos, node, 'location', at);
  if (loc === undefined) return;
  const { fields } = loc;
  const ids = { directory: 'directory', file: 'file' } as const;
  const inputs = readEntryLists(b.r, fields, ids, at, false);
  const ignores = readIgnores(b.r, fields, at, '/');
  if (loc.enabled) {
    b.ignores.push(...ignores);
    b.noteLocation(loc);
    b.addEntries(inputs, loc, undefined, (input, storeRoot) => ({
      target: input.path,
      store: joinPath(storeRoot, input.path),
    }));
  }
  for (const u of map(fields, 'users')?.entries ?? []) locationUser(b, loc, at, u);
}
