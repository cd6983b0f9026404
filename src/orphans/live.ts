// What still counts as referenced: the configuration's entries, and also those of the
// generation live in this boot. An entry dropped from the configuration is still mounted
// until the next apply (or after a rollback); its data must not look orphaned before then.

import { readApplied } from '../generations/store.js';
import type { Model } from '../model/types.js';

export function withLiveEntries(model: Model, root: string): Model {
  const live = readApplied(root);
  if (!live) return model;
  const ids = new Set(model.entries.map((e) => e.id + e.store));
  const extra = live.model.entries.filter((e) => !ids.has(e.id + e.store));
  return extra.length === 0 ? model : { ...model, entries: [...model.entries, ...extra] };
}
