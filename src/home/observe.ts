// Looking at the home before planning: one lstat per path the planner may ask about, nothing
// followed at the last component, nothing changed. Files in the way of a declared file are
// hashed so that an identical one is not reported as a collision.

import * as fs from 'node:fs';
import { ancestorsOf, isWithin } from '../core/paths.js';
import { sha256Hex } from '../system/digest.js';
import type { HomeHistory } from './plan.js';
import type { DesiredHome, HomeObservation, PathState } from './types.js';

const MAX_HASHED = 64 * 1024 * 1024;

function lstat(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path);
  } catch {
    return undefined;
  }
}

function stateOf(path: string, hash: boolean, store: string | undefined): PathState {
  const st = lstat(path);
  if (st === undefined) return { kind: 'missing' };
  if (st.isSymbolicLink()) return { kind: 'link', to: fs.readlinkSync(path) };
  if (store !== undefined) {
    const s = lstat(store);
    if (s !== undefined && s.dev === st.dev && s.ino === st.ino) return { kind: 'bound' };
  }
  if (st.isFile()) {
    // A large file in the way is not read: it is reported, never taken for identical.
    if (!hash || st.size > MAX_HASHED) return { kind: 'file' };
    return { kind: 'file', hash: sha256Hex(fs.readFileSync(path)) };
  }
  if (st.isDirectory()) return { kind: 'directory', empty: fs.readdirSync(path).length === 0 };
  return { kind: 'other' };
}

export function observeHome(
  desired: DesiredHome,
  history: HomeHistory,
  backupExtension: string | undefined,
): HomeObservation {
  const paths: Record<string, PathState> = {};
  const look = (p: string, hash = false, store?: string) => {
    if (!(p in paths)) paths[p] = stateOf(p, hash, store);
  };
  for (const l of desired.links) {
    for (const a of ancestorsOf(l.target))
      if (isWithin(a, desired.home) && a !== desired.home) look(a);
    look(l.target, l.kind === 'file', l.kind === 'persist' ? l.to : undefined);
    if (backupExtension !== undefined) look(`${l.target}.${backupExtension}`);
  }
  for (const d of desired.directories) look(d);
  for (const l of history.links) look(l.target);
  for (const d of history.directories) look(d);
  return { paths };
}
