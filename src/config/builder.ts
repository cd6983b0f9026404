// What the sections of the configuration build together: the drafts of every entry, the homes
// `users.<name>.home` sets, and the settings that any enabled location switches on.

import type { HomeRef, IgnorePattern, Method, SourceRef } from '../model/types.js';
import type { Accounts } from './accounts.js';
import type { AccountRef, Draft, OwnerDraft } from './draft.js';
import type { EntryInput } from './entries.js';
import type { HomeFilesDraft } from './home-files.js';
import type { LocationInfo } from './location-header.js';
import { normaliseAbsolute } from './paths.js';
import { quoted } from './quoted.js';
import type { Position, Segment } from './raw.js';
import { optionPath, type Reporter } from './reporter.js';
import { closest } from './suggest.js';
import { MAX_ID } from './values.js';

/** Where an entry goes: the path it appears at, and the path of its copy in the store. */
export type Placement = (input: EntryInput, storeRoot: string) => { target: string; store: string };

function ownerDraft(
  named: { user?: AccountRef; group?: AccountRef; mode?: number },
  defaults: OwnerDraft['defaults'],
): OwnerDraft {
  const owner: OwnerDraft = { defaults };
  if (named.user) owner.user = named.user;
  if (named.group) owner.group = named.group;
  if (named.mode !== undefined) owner.mode = named.mode;
  return owner;
}

export class Builder {
  readonly drafts: Draft[] = [];
  /** `ignore` patterns of enabled locations, in file order. */
  readonly ignores: IgnorePattern[] = [];
  verbose = false;
  showWarnings = true;
  /** `users.<name>.home`, by user. */
  readonly homes = new Map<string, { path: string; source: SourceRef }>();
  /** The enabled storage directories of `users.<name>.persistence`, by user, in file order. */
  readonly userStores = new Map<string, string[]>();
  /** `users.<name>.files`, for the users that declare any. */
  readonly homeFiles: HomeFilesDraft[] = [];
  /** Every `users.<name>.homeStore` written, whether or not the user declares files. */
  readonly homeStores: { user: string; path: string }[] = [];

  constructor(
    readonly r: Reporter,
    readonly accounts: Accounts,
  ) {}

  noteLocation(loc: LocationInfo) {
    if (loc.enableDebugging === true) this.verbose = true;
    if (loc.enableWarnings === false) this.showWarnings = false;
  }

  /** The home of a user, from (in order) the block's own `home`, `users.<name>.home`, passwd. */
  resolveHome(
    user: string,
    at: readonly Segment[],
    pos: Position,
    explicit?: string,
  ): HomeRef | undefined {
    const { accounts } = this;
    const account = accounts.user(user);
    if (account === undefined) {
      const guess = closest(user, accounts.personNames());
      this.r.error(
        'unknown-user',
        at,
        pos,
        `user ${quoted(user)} does not exist in ${accounts.passwdFile}`,
        guess !== undefined
          ? `did you mean ${quoted(guess)}? Otherwise create the user first`
          : `create the user in ${accounts.passwdFile} first (keepsake reads users and homes from it)`,
      );
      return undefined;
    }
    const configured = explicit ?? this.homes.get(user)?.path;
    let path = configured;
    if (path === undefined) {
      const fromPasswd = account.home === '' ? undefined : normaliseAbsolute(account.home);
      if (fromPasswd === undefined || !fromPasswd.ok) {
        this.r.error(
          'no-home',
          at,
          pos,
          `user ${quoted(user)} has no usable home directory in ${accounts.passwdFile} (${quoted(account.home)})`,
          `set users.${optionPath([user])}.home to the home directory`,
        );
        return undefined;
      }
      path = fromPasswd.path;
    }
    if (account.uid > MAX_ID || account.gid > MAX_ID) {
      // Its files would be given to an id chown(2) ignores or cannot take.
      this.r.error(
        'invalid-id',
        at,
        pos,
        `user ${quoted(user)} has uid ${account.uid} and gid ${account.gid} in ${accounts.passwdFile}; ids run from 0 to ${MAX_ID}`,
        `give the user valid ids in ${accounts.passwdFile}`,
      );
      return undefined;
    }
    return { user: account.name, uid: account.uid, gid: account.gid, path };
  }

  /**
   * Draft the entries of a location: owned by `home`'s user when they are in a home (by root
   * otherwise), stored under their own persistentStoragePath or else the location's.
   */
  addEntries(
    inputs: readonly EntryInput[],
    loc: LocationInfo,
    home: HomeRef | undefined,
    place: Placement,
  ) {
    // Literals, not spreads: a configuration has thousands of entries, and a spread copies
    // through V8's generic path, in code that runs once and so is never optimised.
    // The defaults are only read (see normalise), so the entries of a block share them.
    const uid = home === undefined ? 0 : home.uid;
    const gid = home === undefined ? 0 : home.gid;
    const directoryDefaults = { uid, gid, mode: 0o755 };
    const fileDefaults = { uid, gid, mode: 0o644 };
    const parentDefaults = { uid, gid, mode: 0o755 };
    for (const input of inputs) {
      const storeRoot = input.storagePath ?? loc.storePath;
      const { target, store } = place(input, storeRoot);
      const method: Method = input.method === 'symlink' ? 'symlink' : 'auto';
      const owner = ownerDraft(
        input,
        input.kind === 'directory' ? directoryDefaults : fileDefaults,
      );
      const parents = ownerDraft(input.parents, parentDefaults);
      const hideMount = input.hideMount ?? loc.hideMounts;
      const allowTrash = input.allowTrash ?? loc.allowTrash;
      const adopt = input.adopt ?? loc.adopt;
      const { kind, source } = input;
      // Two literals, one with `home` in its place: an entry's keys keep the order they
      // always had, which the setup digest and the records are made of.
      this.drafts.push(
        home === undefined
          ? {
              kind,
              target,
              store,
              storeRoot,
              method,
              owner,
              parents,
              hideMount,
              allowTrash,
              adopt,
              source,
            }
          : {
              kind,
              target,
              store,
              storeRoot,
              home,
              method,
              owner,
              parents,
              hideMount,
              allowTrash,
              adopt,
              source,
            },
      );
    }
  }
}
