// The home plan and the home-file generation record: plain data, JSON-printable. A plan is
// made from what is declared, the last generation and what is found in the home; executing it
// touches only the home (and the user's own stores, for persistence links).

/** What a link in the home is: a declared file, or a persistence entry made as a link. */
export type LinkKind = 'file' | 'directory' | 'persist';

/** One link the generation wants. `to` is where it points; `hash` names the content. */
export interface DesiredLink {
  target: string;
  to: string;
  kind: LinkKind;
  /** Content digest (files, directories); the store path, for persistence links. */
  hash: string;
  force: boolean;
  /** The declared target this link comes from (a recursive source gives many links). */
  declared: string;
  onChange?: string;
  /** For `persist` links: create the store directory first (a directory entry). */
  storeDirectory?: boolean;
}

/** Everything one apply wants in the home. */
export interface DesiredHome {
  home: string;
  links: DesiredLink[];
  /** Real directories the generation needs (recursive sources), parents first. */
  directories: string[];
}

/** What one path in the home is now, as seen without following it. */
export type PathState =
  | { kind: 'missing' }
  | { kind: 'link'; to: string }
  | { kind: 'file'; hash?: string }
  | { kind: 'directory'; empty: boolean }
  /** A directory that already is the entry's store (a bind mount in place). */
  | { kind: 'bound' }
  | { kind: 'other' };

export interface HomeObservation {
  /** Every path the planner may ask about: targets, their parents, old targets, backups. */
  paths: Record<string, PathState>;
}

export type HomeAction =
  | { kind: 'backup'; path: string; to: string }
  | { kind: 'remove'; path: string; why: 'identical' | 'force' }
  | { kind: 'unlink'; path: string; to: string }
  | { kind: 'rmdir'; path: string }
  | { kind: 'mkdir'; path: string }
  | { kind: 'mkdir-store'; path: string }
  | { kind: 'link'; path: string; to: string; replace: boolean };

export type HomeProblemCode =
  | 'would-be-clobbered'
  | 'backup-exists'
  | 'parent-not-directory'
  | 'directory-not-empty';

export interface HomeProblem {
  code: HomeProblemCode;
  path: string;
  message: string;
  hint: string;
}

export interface HomePlan {
  version: 1;
  home: string;
  actions: HomeAction[];
  problems: HomeProblem[];
  /** Targets whose content changes with this plan, with their onChange commands. */
  changed: { target: string; onChange: string }[];
  /** Links left alone because they are not keepsake's (stale entries only). */
  notes: string[];
  /** What the new generation records: its links, and the directories keepsake made. */
  links: RecordedLink[];
  directories: string[];
}

/** A link as a generation records it. */
export interface RecordedLink {
  target: string;
  /** The declared target it comes from (differs for the files of a recursive source). */
  declared: string;
  to: string;
  kind: LinkKind;
  hash: string;
  onChange?: string;
}

export const HOME_RECORD_VERSION = 1;

/**
 * One home-file generation: `<state>/generations/NNNNNN.json`. It is written `pending` before
 * the home is touched and `complete` once linking and the onChange commands are done, so an
 * interrupted apply's links are still known to the next one.
 */
export interface HomeGeneration {
  version: typeof HOME_RECORD_VERSION;
  number: number;
  state: 'pending' | 'complete';
  appliedAt: string;
  keepsake: string;
  user: string;
  home: string;
  links: RecordedLink[];
  /** Real directories made for this generation (recursive sources). */
  directories: string[];
  rollbackOf?: number;
}
