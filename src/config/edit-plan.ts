// What adding an entry to a configuration means for its data, whatever the format: the keys
// down to the list, which of them already exist, whether the entry is already there, and the
// data the edited file must hold.

import { compileGlob } from '../core/glob.js';
import { ConfigEditError, UsageError } from '../errors.js';
import { normaliseAbsolute, normaliseHomeEntry, normaliseRelative } from './paths.js';
import { optionPath } from './reporter.js';

export interface AddRequest {
  /** An entry, or a pattern for the section's `ignore` list. */
  kind: 'directory' | 'file' | 'ignore';
  /** Location key to add to, e.g. "/persist" (an existing key, or a new one to create). */
  location: string;
  /**
   * System path (absolute, e.g. "/var/lib/foo") or, with `user`, a home-relative path (e.g.
   * ".ssh"); for `ignore`, the pattern as it is to be written.
   */
  path: string;
  /** Add under `persistence.<location>.users.<user>` instead of the location itself. */
  user?: string;
  /**
   * With `user`: `location` is that user's own storage directory, and the entry goes to
   * `users.<user>.persistence.<location>` (Home Manager's classic layout, stored at
   * `<location>/<entry>`) rather than to a system location.
   */
  classic?: boolean;
}

export interface EditPlan {
  kind: AddRequest['kind'];
  /**
   * `persistence`, the location key as the file writes it, [`users`, user], the list key; or,
   * classic, `users`, user, `persistence`, the directory's key, the list key.
   */
  segments: string[];
  /** The normalised path to append. */
  value: string;
  /** How many of `segments` already hold a value (not null) in the file. */
  existing: number;
  /** The entry is already listed. */
  duplicate: boolean;
}

type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

const has = (o: Obj, k: string) => Object.hasOwn(o, k);

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isObject(v)) return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (v instanceof Date) return 'a date';
  return `the ${typeof v} ${String(v)}`;
}

/** The request, checked and with its path normalised. */
function checkRequest(req: AddRequest): { value: string; location: string; user?: string } {
  if (req.classic === true && req.user === undefined) {
    throw new UsageError(
      `cannot add to ${req.location}: a user's own storage directory needs the user`,
      'name the user with --user',
    );
  }
  if (req.kind !== 'directory' && req.kind !== 'file' && req.kind !== 'ignore') {
    throw new UsageError(
      `cannot add an entry of kind ${JSON.stringify(req.kind)}: expected directory, file or ignore`,
      'add a directory, a file or an ignore pattern',
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters
  const control = /[\u0000-\u001f\u007f]/;
  if (typeof req.location !== 'string' || req.location.trim() === '') {
    throw new UsageError(
      'cannot add an entry: the storage location is empty',
      'name the storage location, e.g. --store /persist',
    );
  }
  if (control.test(req.location) || req.location.trim() !== req.location) {
    throw new UsageError(
      `cannot add an entry: the storage location ${JSON.stringify(req.location)} contains a control character or surrounding spaces`,
      'name the storage location as the configuration writes it',
    );
  }
  if (
    req.user !== undefined &&
    (req.user === '' || /[\s:/]/.test(req.user) || control.test(req.user))
  ) {
    throw new UsageError(
      `cannot add an entry: ${JSON.stringify(req.user)} is not a user name`,
      'give the name of a user in /etc/passwd',
    );
  }
  if (req.kind === 'ignore') {
    const glob = compileGlob(req.path);
    if (!glob.ok || control.test(req.path)) {
      throw new UsageError(
        `cannot add ${JSON.stringify(req.path)}: not a usable pattern`,
        'write a gitignore-style pattern, e.g. /var/lib/foo/cache/ or *.pid',
      );
    }
    return {
      value: req.path.trim(),
      location: req.location,
      ...(req.user ? { user: req.user } : {}),
    };
  }
  const p = req.user === undefined ? normaliseAbsolute(req.path) : normaliseRelative(req.path);
  if (!p.ok) throw new UsageError(`cannot add ${JSON.stringify(req.path)}: ${p.message}`, p.hint);
  return req.user === undefined
    ? { value: p.path, location: req.location }
    : { value: p.path, location: req.location, user: req.user };
}

/** The location key the file already uses for `location`: the same key, or one naming the same path. */
function locationKey(persistence: unknown, location: string): string {
  if (!isObject(persistence) || has(persistence, location)) return location;
  const want = normaliseAbsolute(location);
  if (!want.ok) return location;
  const same = Object.keys(persistence).filter((k) => {
    const n = normaliseAbsolute(k);
    return n.ok && n.path === want.path;
  });
  return same.length === 1 ? same[0]! : location;
}

/**
 * The users whose own storage directories (Home Manager's classic layout,
 * `users.<user>.persistence.<key>`) have a key naming `location`, in file order.
 */
export function classicOwnersIn(data: unknown, location: string): string[] {
  const users = isObject(data) ? data.users : undefined;
  if (!isObject(users)) return [];
  return Object.keys(users).filter((name) => {
    const u = users[name];
    const persistence = isObject(u) ? u.persistence : undefined;
    if (!isObject(persistence)) return false;
    return has(persistence, locationKey(persistence, location));
  });
}

/** `segments` for a classic request, after checking that the directory is the user's. */
function classicSegments(data: unknown, location: string, user: string, listKey: string) {
  const owners = classicOwnersIn(data, location);
  if (!owners.includes(user)) {
    throw new UsageError(
      owners.length > 0
        ? `cannot add to ${location} for ${user}: it is not ${user}'s storage directory but ${owners.join(' and ')}'s (users.${owners[0]}.persistence)`
        : `cannot add to ${location} for ${user}: users.${user}.persistence has no such storage directory`,
      owners.length > 0
        ? `use --user ${owners[0]}, or name one of ${user}'s own storage directories or a system location with --store`
        : 'name a storage directory the configuration declares with --store',
    );
  }
  // A user's patterns are kept with the user, home-relative, whichever directory holds the data.
  if (listKey === 'ignore') return ['users', user, 'ignore'];
  const users = (data as Obj).users as Obj;
  const persistence = (users[user] as Obj).persistence as Obj;
  const key = locationKey(persistence, location);
  const block = persistence[key];
  // With removePrefixDirectory every entry starts with a directory that is not in the home;
  // which one the user means cannot be guessed.
  if (isObject(block) && block.removePrefixDirectory === true) {
    throw new UsageError(
      `cannot add to ${optionPath(['users', user, 'persistence', key])}: it sets removePrefixDirectory, so its entries start with a prefix directory keepsake cannot choose`,
      'add the entry to the file by hand as "<prefix>/<path in the home>"',
    );
  }
  return ['users', user, 'persistence', key, listKey];
}

/** The same entry, as a plain path or as a `{ directory: ... }` / `{ file: ... }` map. */
function sameEntry(item: unknown, kind: AddRequest['kind'], value: string, relative: boolean) {
  if (kind === 'ignore') return typeof item === 'string' && item.trim() === value;
  const raw = isObject(item) ? item[kind] : item;
  if (typeof raw !== 'string') return false;
  if (raw === value) return true;
  const n = relative ? normaliseHomeEntry(raw) : normaliseAbsolute(raw);
  return n.ok && n.path === value;
}

/**
 * Resolve a request against the file's data (as parsed): the keys down to the list, how many
 * exist, and whether the entry is already there. Throws when the data's shape makes the edit
 * impossible (e.g. `persistence` is a list).
 */
export function planAdd(data: unknown, req: AddRequest): EditPlan {
  const { value, location, user } = checkRequest(req);
  const listKey = { directory: 'directories', file: 'files', ignore: 'ignore' }[req.kind];
  if (data !== null && data !== undefined && !isObject(data)) {
    throw new ConfigEditError(
      `cannot add to the configuration: its top level is ${describeValue(data)}, not a map`,
    );
  }
  const persistence = isObject(data) ? data.persistence : undefined;
  const segments =
    req.classic === true && user !== undefined
      ? classicSegments(data, location, user, listKey)
      : [
          'persistence',
          locationKey(persistence, location),
          ...(user === undefined ? [] : ['users', user]),
          listKey,
        ];
  let cur: unknown = data;
  let existing = 0;
  let duplicate = false;
  for (const [i, seg] of segments.entries()) {
    const v = isObject(cur) && has(cur, seg) ? cur[seg] : undefined;
    if (v === undefined || v === null) break;
    const at = optionPath(segments.slice(0, i + 1));
    if (i === segments.length - 1) {
      if (!Array.isArray(v)) {
        throw new ConfigEditError(`cannot add to ${at}: it is ${describeValue(v)}, not a list`);
      }
      duplicate = v.some((item) => sameEntry(item, req.kind, value, user !== undefined));
    } else if (!isObject(v)) {
      throw new ConfigEditError(`cannot add to ${at}: it is ${describeValue(v)}, not a map`);
    }
    existing = i + 1;
    cur = v;
  }
  return { kind: req.kind, segments, value, existing, duplicate };
}

/** The data with `item` appended to the plan's list, creating what is missing. */
export function expectedData(data: unknown, plan: EditPlan, item: unknown): Obj {
  const root: Obj = isObject(data) ? structuredClone(data) : {};
  let cur = root;
  const { segments } = plan;
  for (const seg of segments.slice(0, -1)) {
    const v = cur[seg];
    if (!isObject(v)) cur[seg] = {};
    cur = cur[seg] as Obj;
  }
  const last = segments[segments.length - 1]!;
  const list = cur[last];
  cur[last] = Array.isArray(list) ? [...list, item] : [item];
  return root;
}

/** Structural equality of parsed data (key order and prototypes aside). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => sameData(x, b[i]))
    );
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length && ka.every((k) => has(b, k) && sameData(a[k], b[k]))
    );
  }
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}
