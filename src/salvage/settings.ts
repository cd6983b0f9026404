// The salvage settings of a model, with the defaults of the schema when the configuration has
// no `salvage` map (a configuration written before it, or one that leaves it out).

import { SALVAGE_DEFAULTS } from '../config/salvage.js';
import { isWithin } from '../core/paths.js';
import { UsageError } from '../errors.js';
import type { Model, SalvageSettings } from '../model/types.js';

export function salvageSettings(model: Model): SalvageSettings {
  if (model.salvage !== undefined) return model.salvage;
  // The first storage location, in file order, that is not one user's own.
  const store = model.entries.find(
    (e) => !(e.home && !isWithin(e.store, `${e.storeRoot}${e.home.path}`)),
  )?.storeRoot;
  if (store === undefined) {
    throw new UsageError(
      'salvage needs a storage location to keep its copies in, and the configuration has none',
      'declare one under persistence, e.g. persistence: { /persist: { directories: [ /var/log ] } }',
    );
  }
  return { ...SALVAGE_DEFAULTS, store, ignores: [] };
}
