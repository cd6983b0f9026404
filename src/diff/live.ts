// `keepsake diff` on the live system: reads the mount table, the live generation, the boot time
// and the directories, then hands them to the scan. The one place that gathers them, for the
// command and the demo alike.

import * as fs from 'node:fs';
import { hostPath } from '../core/paths.js';
import { APPLIED, readApplied } from '../generations/store.js';
import type { Model } from '../model/types.js';
import { kindOf } from '../system/file-kind.js';
import { bootTimeUnder } from './boot.js';
import { observeEphemeral } from './ephemeral-live.js';
import type { Inspect } from './escaped.js';
import { directoryReader } from './read-directory.js';
import { declaredTargets, scanUndeclared } from './scan.js';
import type { DiffReport } from './types.js';

export interface LiveScan {
  /** System paths asked for; none: every ephemeral area (ephemeral.ts). */
  paths: readonly string[];
  depth: number;
  all: boolean;
  onProgress?: (entries: number, dir: string) => void;
}

export function scanLiveSystem(model: Model, root: string, scan: LiveScan): DiffReport {
  const declared = declaredTargets(model);
  const { mounts, areas } = observeEphemeral(root, model, declared);
  const found = scan.paths.length > 0 ? [] : areas.map((a) => a.path);
  const reader = directoryReader();
  return scanUndeclared({
    root,
    paths: scan.paths.length > 0 ? scan.paths : found,
    found,
    model,
    declared,
    mounts,
    areas,
    liveTargets: readLiveTargets(root),
    bootMs: bootTimeUnder(root),
    depth: scan.depth,
    all: scan.all,
    read: reader.read,
    ...(reader.ahead ? { ahead: reader.ahead } : {}),
    inspect: liveInspect,
    backend: reader.backend,
    ...(scan.onProgress ? { onProgress: scan.onProgress } : {}),
  });
}

/** The homes the report names (for `keepsake add --user`). */
export function reportHomes(model: Model): { user: string; path: string }[] {
  const seen = new Map<string, string>();
  for (const e of model.entries) if (e.home) seen.set(e.home.user, e.home.path);
  return [...seen].map(([user, path]) => ({ user, path }));
}

/**
 * The targets of the generation live in this boot; [] when none was applied; undefined when
 * its record cannot be read (as a user other than root), so that nothing is guessed.
 */
export function readLiveTargets(root: string): string[] | undefined {
  try {
    const live = readApplied(root);
    if (live !== undefined) return live.model.entries.map((e) => e.target);
    fs.lstatSync(hostPath(root, APPLIED));
    return undefined; // there, but not a record keepsake trusts
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? [] : undefined;
  }
}

/** The real file system, for the escaped-data check. */
const liveInspect: Inspect = {
  lstat(host) {
    const st = fs.lstatSync(host, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    return { kind: kindOf(st), size: st.size, mtimeMs: st.mtimeMs };
  },
  exists: (host) => fs.existsSync(host),
};
