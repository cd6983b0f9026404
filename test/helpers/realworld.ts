// The real-world impermanence configurations in test/fixtures/realworld, turned into keepsake
// configurations (see that directory's README for the mapping), with the users and groups
// they name so that a test root can provide them.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../../src/config/index.js';
import type { Model } from '../../src/model/types.js';

export interface RealworldCase {
  /** The file name without `.json`. */
  name: string;
  file: string;
  /** A keepsake configuration, as a plain object. */
  config: Record<string, unknown>;
  /** Every user name the configuration refers to. */
  users: string[];
  /** Every group name the configuration refers to. */
  groups: string[];
}

type Obj = Record<string, unknown>;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    // The build copies package.json into dist/; the repository also has tsconfig.json.
    if (existsSync(pkg) && existsSync(join(dir, 'tsconfig.json'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as Obj).name === 'keepsake') return dir;
      } catch {
        // keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the keepsake repository root');
    dir = up;
  }
}

export function defaultRealworldDir(): string {
  return resolve(repoRoot(), 'test', 'fixtures', 'realworld');
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** impermanence's "not set" is `null`: drop it everywhere. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(dropNulls);
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out;
  }
  return v;
}

/** A location with its `otherOptions` merged in. */
function mergeOther(loc: Obj): Obj {
  const { otherOptions, ...rest } = loc;
  return { ...rest, ...(isObj(otherOptions) ? otherOptions : {}) };
}

function convert(data: Obj, file: string): Obj {
  const persistence = isObj(data.persistence) ? data.persistence : {};
  if (data.kind === 'nixos') {
    const out: Obj = {};
    for (const [key, loc] of Object.entries(persistence)) out[key] = mergeOther(loc as Obj);
    return { persistence: out };
  }
  if (data.kind !== 'home-manager') throw new Error(`${file}: unknown kind ${String(data.kind)}`);
  const user = data.user;
  if (typeof user !== 'string') throw new Error(`${file}: a home-manager file without a user`);
  if (data.homeManagerApi === 'classic') {
    const locations: Obj = {};
    for (const [key, raw] of Object.entries(persistence)) {
      const { users, ...loc } = mergeOther(raw as Obj);
      if (isObj(users) && Object.keys(users).length > 0) {
        throw new Error(`${file}: a classic Home Manager location with users`);
      }
      locations[key] = loc;
    }
    return { users: { [user]: { persistence: locations } } };
  }
  if (data.homeManagerApi === '2025') {
    const out: Obj = {};
    for (const [key, raw] of Object.entries(persistence)) {
      const {
        directories,
        files,
        users,
        allowOther: _ignored,
        ...options
      } = mergeOther(raw as Obj);
      if (isObj(users) && Object.keys(users).length > 0) {
        throw new Error(`${file}: a Home Manager location with users`);
      }
      const block: Obj = {};
      if (directories !== undefined) block.directories = directories;
      if (files !== undefined) block.files = files;
      out[key] = { ...options, users: { [user]: block } };
    }
    return { persistence: out };
  }
  throw new Error(`${file}: unknown homeManagerApi ${String(data.homeManagerApi)}`);
}

/** Every user and group name a converted configuration refers to. */
function referenced(config: Obj, extraUser?: string): { users: string[]; groups: string[] } {
  const users = new Set<string>();
  const groups = new Set<string>();
  if (extraUser !== undefined) users.add(extraUser);
  const entry = (e: unknown) => {
    if (!isObj(e)) return;
    for (const owner of [e, e.parentDirectory]) {
      if (!isObj(owner)) continue;
      if (typeof owner.user === 'string') users.add(owner.user);
      if (typeof owner.group === 'string') groups.add(owner.group);
    }
  };
  const lists = (block: unknown) => {
    if (!isObj(block)) return;
    for (const key of ['directories', 'files']) {
      const list = block[key];
      if (Array.isArray(list)) list.forEach(entry);
    }
  };
  for (const loc of Object.values(isObj(config.persistence) ? config.persistence : {})) {
    lists(loc);
    if (isObj(loc) && isObj(loc.users)) {
      for (const [name, block] of Object.entries(loc.users)) {
        users.add(name);
        lists(block);
      }
    }
  }
  for (const [name, u] of Object.entries(isObj(config.users) ? config.users : {})) {
    users.add(name);
    if (isObj(u) && isObj(u.persistence)) Object.values(u.persistence).forEach(lists);
  }
  return { users: [...users].sort(), groups: [...groups].sort() };
}

export function loadRealworld(dir = defaultRealworldDir()): RealworldCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const data = dropNulls(JSON.parse(readFileSync(file, 'utf8'))) as Obj;
      const config = convert(data, f);
      const user = typeof data.user === 'string' ? data.user : undefined;
      return { name: f.replace(/\.json$/, ''), file, config, ...referenced(config, user) };
    });
}

/**
 * `/etc/passwd` and `/etc/group` for the given names: every user has a private group of its
 * own name and a home in /home/<user> (`/root` for root); uids from 1000, other gids from 2000.
 */
export function accountFiles(users: string[], groups: string[]): { passwd: string; group: string } {
  const passwd = ['root:x:0:0:root:/root:/bin/sh'];
  const group = ['root:x:0:'];
  const gids = new Map<string, number>([['root', 0]]);
  let uid = 1000;
  for (const name of users) {
    if (name === 'root') continue;
    const id = uid++;
    gids.set(name, id);
    passwd.push(`${name}:x:${id}:${id}::/home/${name}:/bin/sh`);
    group.push(`${name}:x:${id}:`);
  }
  let gid = 2000;
  for (const name of groups) {
    if (gids.has(name)) continue;
    const id = gid++;
    gids.set(name, id);
    group.push(`${name}:x:${id}:`);
  }
  return { passwd: `${passwd.join('\n')}\n`, group: `${group.join('\n')}\n` };
}

/** Write `<root>/etc/passwd` and `<root>/etc/group` for the given names. */
export function writeAccounts(root: string, users: string[], groups: string[]): void {
  const { passwd, group } = accountFiles(users, groups);
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), passwd);
  writeFileSync(join(root, 'etc', 'group'), group);
}

/**
 * The validated model of `config`, written as `dir/name/keepsake.json` with a root beside it
 * that has the accounts it names; fails the test with the diagnostics when it does not validate.
 */
export function validatedModel(
  dir: string,
  name: string,
  config: object,
  users: string[] = [],
  groups: string[] = [],
): Model {
  const root = join(dir, name, 'root');
  writeAccounts(root, users, groups);
  const file = join(dir, name, 'keepsake.json');
  writeFileSync(file, JSON.stringify(config));
  const { model, diagnostics } = validateConfig(file, { root });
  assert.ok(model, JSON.stringify(diagnostics));
  return model;
}
