// The plan: one plain, versioned, JSON-serialisable value. The planner computes it without
// touching the system; `plan --json` prints it; the executor carries it out in order.
// Paths are as seen by the booted system; `root` is prefixed only when acting.

import type { ContentSummary } from '../model/observed.js';
import type { Diagnostic } from '../model/types.js';

export const PLAN_VERSION = 1;

/** Which side of an entry a path belongs to. */
export type Side = 'store' | 'target';

interface ActionBase {
  /** The entry this action serves (`<kind>:<target>`), absent for shared parents. */
  entry?: string;
  /** Why, in a few words a person can follow. */
  reason: string;
}

export type Action =
  | (ActionBase & {
      kind: 'mkdir';
      side: Side;
      path: string;
      uid: number;
      gid: number;
      mode: number;
    })
  | (ActionBase & {
      kind: 'create-file';
      side: Side;
      path: string;
      uid: number;
      gid: number;
      mode: number;
      /** Initial content; empty for a placeholder that a bind mount will cover. */
      content: string;
    })
  | (ActionBase & {
      kind: 'chown';
      path: string;
      uid: number;
      gid: number;
      was: { uid: number; gid: number };
    })
  | (ActionBase & { kind: 'chmod'; path: string; mode: number; was: number })
  | (ActionBase & {
      kind: 'bind';
      entryKind: 'directory' | 'file';
      source: string;
      target: string;
      /** `slave`: stop mounts made under the target from propagating back into the store. */
      propagation?: 'slave';
    })
  | (ActionBase & { kind: 'symlink'; path: string; to: string; uid: number; gid: number })
  /** Make an existing bind a mount slave (a parent that now holds another store's entry). */
  | (ActionBase & { kind: 'propagation'; target: string; type: 'slave' })
  // Transitions away from what an earlier generation set up: keepsake only takes down what
  // its own records show it made, and the stored data always stays.
  | (ActionBase & {
      kind: 'unmount';
      target: string;
      /** What is mounted there now, so the step can be undone. */
      source: string;
      entryKind: 'directory' | 'file';
    })
  | (ActionBase & {
      kind: 'unlink';
      path: string;
      /** The link's text, and its owner, so the step can be undone. */
      to: string;
      uid: number;
      gid: number;
    })
  | (ActionBase & {
      /** Move data that is in the way into the store, or set it aside in a backup there. */
      kind: 'adopt';
      /** The entry's target, which names the move's journal. */
      target: string;
      from: string;
      to: string;
      type: 'directory' | 'file';
      how: 'into-store' | 'backup';
      files: number;
      bytes: number;
      /** The store's root: the move is journaled in `<storeRoot>/.keepsake/moves`. */
      storeRoot: string;
      /** Where a version changed on both sides during the move is kept. */
      backup: string;
      /** An interrupted move of an earlier run, carried on from its journal. */
      resume?: true;
    })
  | (ActionBase & {
      /** After the bind: settle what is left at the old place, then drop the journal. */
      kind: 'adopt-finish';
      target: string;
      from: string;
      to: string;
      type: 'directory' | 'file';
      how: 'into-store' | 'backup';
      storeRoot: string;
      backup: string;
    })
  | (ActionBase & {
      kind: 'remove';
      /** A mount point keepsake created: removed only if still empty, otherwise kept. */
      path: string;
      type: 'directory' | 'file';
      uid: number;
      gid: number;
      mode: number;
    })
  | (ActionBase & {
      kind: 'utab';
      /** Drop the line for `target` instead of adding one. */
      remove?: true;
      target: string;
      /** The store path that is bound (utab's BINDSRC). */
      source: string;
      /** The store's file system as mountinfo names it, e.g. `/dev/vdb` (utab's SRC). */
      device: string;
      /** The store path inside its file system, as mountinfo's `root` field shows it. */
      fsRoot: string;
      options: string[];
    });

export type ActionKind = Action['kind'];

/** How an entry is (or will be) made to appear. */
export type Mechanism = 'bind' | 'symlink' | 'seed-and-bind' | 'covered';

/** What the live system shows for an entry right now. */
export type LiveState =
  | 'mounted' // the right source is bind-mounted at the target
  | 'linked' // the target is a link to the store
  | 'covered' // inside a parent entry's bind of the same store: nothing of its own
  | 'missing' // nothing at the target yet, or an empty placeholder
  | 'wrong-source' // something else is mounted at the target
  | 'shadowed' // the right mount is there but another mount lies on top of it
  | 'occupied'; // the target holds data of its own

export interface EntryPlan {
  id: string;
  kind: 'directory' | 'file';
  target: string;
  store: string;
  mechanism: Mechanism;
  live: LiveState;
  /** `ok`: nothing to do; `pending`: actions planned; `refused`: see problems. */
  state: 'ok' | 'pending' | 'refused';
}

export type ProblemCode =
  | 'target-has-data'
  | 'symlink-in-path'
  | 'wrong-type'
  | 'foreign-mount'
  | 'foreign-symlink'
  | 'shadowed'
  | 'store-not-persistent'
  | 'machine-id-unset';

/** Something that stops the plan from being applied. */
export interface Problem {
  code: ProblemCode;
  entry: string;
  path: string;
  message: string;
  hint: string;
  contents?: ContentSummary;
}

/** An entry of the previous generation that the configuration no longer has. */
export interface Released {
  id: string;
  target: string;
  /** Its data, which stays where it is (see `keepsake orphans`). */
  store: string;
  /** `taken-down`: keepsake unmounts or unlinks it; `left`: not keepsake's to take down. */
  outcome: 'taken-down' | 'left' | 'gone';
  note?: string;
}

/** Data found at a target that the plan moves (`adopt: true` or `--adopt`). */
export interface Adoption {
  entry: string;
  from: string;
  to: string;
  how: 'into-store' | 'backup';
  files: number;
  bytes: number;
}

/**
 * An entry `apply --keep-going` leaves untouched: one with problems of its own, or one inside a
 * directory entry that is skipped (mounting it there would put it on the root's own directory).
 */
export interface Skipped {
  entry: string;
  target: string;
  /** Why, in one line: its first problem, or the skipped entry it lies inside. */
  reason: string;
  /** What to do about it. */
  hint: string;
  /** The target of the skipped directory entry it lies inside. */
  inside?: string;
  /** Its own problems (none when it is skipped for lying inside another). */
  problems: Problem[];
}

/** A move an earlier run journaled and did not finish (read from the stores). */
export interface PendingMove {
  target: string;
  to: string;
  backup: string;
  type: 'directory' | 'file';
  how: 'into-store' | 'backup';
  /** `copy`: the copy never completed, the source still holds everything. */
  phase: 'copy' | 'copied' | 'settling';
}

export interface Plan {
  version: typeof PLAN_VERSION;
  root: string;
  configFile: string;
  /** The generation this plan moves away from, if any. */
  previousGeneration?: number;
  entries: EntryPlan[];
  /** Entries dropped (or replaced) since the previous generation. */
  released: Released[];
  adopted: Adoption[];
  actions: Action[];
  /** Where the actions that set up declared entries begin: those before it take down what the
   *  previous generation had. */
  setupFrom?: number;
  problems: Problem[];
  /** `--keep-going`: entries left out, whose problems are then not in `problems`. */
  skipped?: Skipped[];
  warnings: Diagnostic[];
}
