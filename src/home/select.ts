// Which home files and persistence entries are one user's, and every path home files declare
// (for commands that compare declared paths with what is on the system).

import { homeState } from '../config/home-files.js';
import { isWithin } from '../core/paths.js';
import type { HomeFileSet, HomeRef, Model, PersistEntry } from '../model/types.js';

/** Every absolute target home files declare, for all users. */
export function managedHomeTargets(model: Model): string[] {
  return (model.homeFiles ?? []).flatMap((s) => s.files.map((f) => f.target)).sort();
}

/** True when `path` is a declared home file or lies inside one (a linked directory). */
export function isManagedHomePath(model: Model, path: string): boolean {
  return managedHomeTargets(model).some((t) => isWithin(path, t));
}

/** The persistence entries in this user's home. */
export function persistEntriesOf(model: Model, uid: number): PersistEntry[] {
  return model.entries.filter((e) => e.home?.uid === uid);
}

/**
 * The home-file set of the user with this uid; a user with persistence entries but no files
 * gets an empty one, so that `home apply` can link those entries.
 */
export function homeSetOf(model: Model, uid: number): HomeFileSet | undefined {
  const declared = model.homeFiles?.find((s) => s.user.uid === uid);
  if (declared !== undefined) return declared;
  const entries = persistEntriesOf(model, uid);
  const user: HomeRef | undefined = entries[0]?.home;
  if (user === undefined) return undefined;
  const classic = (e: PersistEntry) => e.source.option.startsWith('users.');
  const own = [...new Set(entries.filter(classic).map((e) => e.storeRoot))];
  const allClassic = new Set(model.entries.filter(classic).map((e) => e.storeRoot));
  const system = model.stores.filter((s) => !allClassic.has(s));
  return { user, files: [], state: homeState({ user, files: [] }, own, system) };
}
