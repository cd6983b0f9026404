// An entry as read from the configuration, before user and group names are resolved: what the
// cross-field rules look at, and what becomes a PersistEntry once they pass.

import type { HomeRef, Method, SourceRef } from '../model/types.js';

/** A user or group as the configuration names it. */
export interface AccountRef {
  of: 'user' | 'group';
  value: string | number;
  source: SourceRef;
}

export interface OwnerDraft {
  /** Set when the configuration names them. */
  user?: AccountRef;
  group?: AccountRef;
  mode?: number;
  /** Used for whatever is not named. */
  defaults: { uid: number; gid: number; mode: number };
}

export interface Draft {
  kind: 'directory' | 'file';
  target: string;
  store: string;
  storeRoot: string;
  method: Method;
  owner: OwnerDraft;
  parents: OwnerDraft;
  home?: HomeRef;
  hideMount: boolean;
  allowTrash: boolean;
  adopt: boolean;
  source: SourceRef;
}

/** `file.yaml:4:7`, for pointing at another place in the same message. */
export function where(source: SourceRef): string {
  const at = source.line > 0 ? `${source.file}:${source.line}:${source.column}` : source.file;
  return `${source.option} (${at})`;
}
