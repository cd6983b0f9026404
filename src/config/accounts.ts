// Users and groups of the system being set up, read from `<root>/etc/passwd` and
// `<root>/etc/group` (never from the host running keepsake, unless the root is `/`), or from
// their stored copies when the configuration persists them.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SystemError, UnsafePathError } from '../errors.js';
import { withVerifiedPath } from '../system/safe-fs.js';

export interface UserAccount {
  name: string;
  uid: number;
  /** Primary group id. */
  gid: number;
  home: string;
}

export interface GroupAccount {
  name: string;
  gid: number;
  members: string[];
}

const ID = /^\d+$/;

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

export function parsePasswd(text: string): UserAccount[] {
  const users: UserAccount[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const [name, , uid, gid, , home] = f;
    if (name === undefined || uid === undefined || gid === undefined) continue;
    if (!ID.test(uid) || !ID.test(gid)) continue;
    users.push({ name, uid: Number(uid), gid: Number(gid), home: home ?? '' });
  }
  return users;
}

export function parseGroup(text: string): GroupAccount[] {
  const groups: GroupAccount[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, , gid, members] = line.split(':');
    if (name === undefined || gid === undefined || !ID.test(gid)) continue;
    groups.push({ name, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) });
  }
  return groups;
}

export class Accounts {
  readonly users: readonly UserAccount[];
  readonly groups: readonly GroupAccount[];
  /** Where the files were read from, for messages. */
  readonly passwdFile: string;
  readonly groupFile: string;
  private readonly usersByName = new Map<string, UserAccount>();
  private readonly groupsByName = new Map<string, GroupAccount>();

  constructor(
    users: UserAccount[],
    groups: GroupAccount[],
    passwdFile = '/etc/passwd',
    groupFile = '/etc/group',
  ) {
    this.users = users;
    this.groups = groups;
    this.passwdFile = passwdFile;
    this.groupFile = groupFile;
    // The first entry wins, as with getpwnam.
    for (const u of users) if (!this.usersByName.has(u.name)) this.usersByName.set(u.name, u);
    for (const g of groups) if (!this.groupsByName.has(g.name)) this.groupsByName.set(g.name, g);
  }

  /** Read `<root>/etc/passwd` and `<root>/etc/group`; missing files mean no accounts. */
  static load(root: string): Accounts {
    const passwdFile = join(root, 'etc/passwd');
    const groupFile = join(root, 'etc/group');
    return new Accounts(
      parsePasswd(readLines(passwdFile).join('\n')),
      parseGroup(readLines(groupFile).join('\n')),
      passwdFile,
      groupFile,
    );
  }

  /** A user by name (or by numeric id, when listed). */
  user(nameOrId: string | number): UserAccount | undefined {
    if (typeof nameOrId === 'number' || ID.test(nameOrId)) {
      const uid = Number(nameOrId);
      return this.users.find((u) => u.uid === uid);
    }
    return this.usersByName.get(nameOrId);
  }

  group(nameOrId: string | number): GroupAccount | undefined {
    if (typeof nameOrId === 'number' || ID.test(nameOrId)) {
      const gid = Number(nameOrId);
      return this.groups.find((g) => g.gid === gid);
    }
    return this.groupsByName.get(nameOrId);
  }

  /** A uid for a name or a numeric id; `root` is always 0. */
  uidOf(spec: string | number): number | undefined {
    return idOf(spec, (name) => this.usersByName.get(name)?.uid);
  }

  /** A gid for a name or a numeric id; `root` is always 0. */
  gidOf(spec: string | number): number | undefined {
    return idOf(spec, (name) => this.groupsByName.get(name)?.gid);
  }

  /** The user names, for suggestions. */
  userNames(): string[] {
    return [...this.usersByName.keys()];
  }

  /**
   * The names of people (root, and the uid range useradd gives them), for suggesting a home's
   * user: a system account is never what someone meant by a home.
   */
  personNames(): string[] {
    return [...this.usersByName.values()]
      .filter((u) => u.uid === 0 || (u.uid >= 1000 && u.uid < 60000))
      .map((u) => u.name);
  }

  groupNames(): string[] {
    return [...this.groupsByName.keys()];
  }
}

/** The account files whose persisted copies decide who owns what. */
export const ACCOUNT_FILES = ['/etc/passwd', '/etc/group'] as const;

const SLASH = 47;

/** An entry as far as where its data is stored goes. */
interface Placed {
  kind: 'directory' | 'file';
  target: string;
  store: string;
}

/**
 * Where the copy of `path` that will be in place is stored, when an entry persists it: a file
 * entry for the path itself, or else the deepest directory entry holding it (all of /etc).
 */
export function storedCopyOf(path: string, entries: readonly Placed[]): string | undefined {
  let best: Placed | undefined;
  for (const e of entries) {
    // Inside: `${e.target}/` begins the path (tested without making that string for each of
    // the thousands of entries).
    const holds =
      e.kind === 'file'
        ? e.target === path
        : e.target === '/' ||
          (path.startsWith(e.target) && path.charCodeAt(e.target.length) === SLASH);
    // The deepest one decides: a file entry for the path itself, or the nearest directory.
    if (holds && (!best || e.target.length > best.target.length)) best = e;
  }
  if (!best) return undefined;
  if (best.target === path) return best.store;
  const store = best.store.replace(/\/+$/, '');
  return `${store}${path.slice(best.target === '/' ? 0 : best.target.length)}`;
}

/** A stored account file that keepsake will not read: a link, or not a file. */
export class StoredAccountsError extends Error {
  constructor(
    readonly path: string,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The text of a stored account file, or undefined when there is none yet. Stores are trees
 * other programs write: the file is opened with O_PATH|O_NOFOLLOW and every component checked,
 * so a link planted anywhere in its path is refused rather than followed.
 */
function readStored(host: string, file: string): string | undefined {
  try {
    return withVerifiedPath(host, 'file', (p) => readFileSync(p, 'utf8'));
  } catch (error) {
    if (error instanceof SystemError && (error.errno === 'ENOENT' || error.errno === 'ENOTDIR'))
      return undefined;
    const why =
      error instanceof UnsafePathError
        ? 'is a symbolic link, or lies under one'
        : `cannot be read (${(error as Error).message})`;
    throw new StoredAccountsError(
      host,
      file,
      `${host}, the stored copy of ${file}, ${why}; keepsake reads user and group names only from the file itself`,
    );
  }
}

/**
 * The accounts the booted system will have once the configuration is in place: when it
 * persists /etc/passwd or /etc/group (or a directory holding them, such as all of /etc), each
 * comes from its stored copy, falling back to the root's while the store has none. Users added
 * with useradd after the image or snapshot was made live only in the stored copy. Undefined
 * when neither file is persisted.
 */
export function persistedAccounts(
  root: string,
  entries: readonly Placed[],
  rootAccounts: Accounts,
): Accounts | undefined {
  const [passwdAt, groupAt] = ACCOUNT_FILES.map((f) => storedCopyOf(f, entries));
  if (passwdAt === undefined && groupAt === undefined) return undefined;
  const host = (p: string) => resolve(root, `.${p}`);
  const passwdText = passwdAt === undefined ? undefined : readStored(host(passwdAt), '/etc/passwd');
  const groupText = groupAt === undefined ? undefined : readStored(host(groupAt), '/etc/group');
  return new Accounts(
    passwdText === undefined ? [...rootAccounts.users] : parsePasswd(passwdText),
    groupText === undefined ? [...rootAccounts.groups] : parseGroup(groupText),
    passwdText === undefined ? rootAccounts.passwdFile : host(passwdAt!),
    groupText === undefined ? rootAccounts.groupFile : host(groupAt!),
  );
}

/** Host paths of the stored account files a model's names come from (for the model cache). */
export function storedAccountFiles(root: string, entries: readonly Placed[]): string[] {
  return ACCOUNT_FILES.flatMap((f) => {
    const at = storedCopyOf(f, entries);
    return at === undefined ? [] : [resolve(root, `.${at}`)];
  });
}

/** An id given as a number, as digits, or as a name (`byName`); `root` is always 0. */
function idOf(
  spec: string | number,
  byName: (name: string) => number | undefined,
): number | undefined {
  if (typeof spec === 'number') return Number.isInteger(spec) && spec >= 0 ? spec : undefined;
  if (ID.test(spec)) return Number(spec);
  return byName(spec) ?? (spec === 'root' ? 0 : undefined);
}
