// Users and groups of the system being set up, read from `<root>/etc/passwd` and
// `<root>/etc/group` (never from the host running keepsake, unless the root is `/`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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
    if (typeof spec === 'number') return Number.isInteger(spec) && spec >= 0 ? spec : undefined;
    if (ID.test(spec)) return Number(spec);
    const user = this.usersByName.get(spec);
    if (user) return user.uid;
    return spec === 'root' ? 0 : undefined;
  }

  /** A gid for a name or a numeric id; `root` is always 0. */
  gidOf(spec: string | number): number | undefined {
    if (typeof spec === 'number') return Number.isInteger(spec) && spec >= 0 ? spec : undefined;
    if (ID.test(spec)) return Number(spec);
    const group = this.groupsByName.get(spec);
    if (group) return group.gid;
    return spec === 'root' ? 0 : undefined;
  }

  /** The user names, for suggestions. */
  userNames(): string[] {
    return [...this.usersByName.keys()];
  }

  groupNames(): string[] {
    return [...this.groupsByName.keys()];
  }
}
