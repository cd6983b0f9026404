// The protected set: every store path that `orphans` never lists as orphaned and `prune` never
// deletes, each with the reason. It is one list, built here and nowhere else, and both
// commands read it through `survey` (survey.ts), so they cannot disagree about what is
// referenced. Building it only reads: lstat and readlink under `--root`, the mount table
// given, keepsake's own record of the live generation, and installed service units.

import * as fs from 'node:fs';
import * as posix from 'node:path/posix';
import { sourceOf } from '../core/mount-table.js';
import { hostPath, isWithin } from '../core/paths.js';
import type { MountInfo } from '../model/observed.js';
import type { Model } from '../model/types.js';
import { childPath, HOME_RECORDS_DIR, RECORDS_DIR } from './find.js';
import type { Protection } from './types.js';

export interface ProtectionInputs {
  /** The `--root` directory (a real path), `/` on a live system. */
  root: string;
  /** The mount table of this process (host paths). */
  mounts: readonly MountInfo[];
  /** The generation live in this boot (`<root>/run/keepsake/applied.json`), when recorded. */
  live?: { configFile: string; model: Model } | undefined;
}

/** Unit directories where `keepsake install-service` (or a packager) puts the service. */
const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
];
const SERVICE_UNIT = 'keepsake.service';

/** A host path as the booted system sees it; undefined when it lies outside `root`. */
function systemPathOf(root: string, host: string): string | undefined {
  if (root === '/') return host;
  if (!isWithin(host, root)) return undefined;
  return host === root ? '/' : host.slice(root.length);
}

/**
 * Where `path` really is, following every symbolic link on the way as a process chrooted at
 * `root` would (absolute links are taken relative to `root`). Undefined when nothing was
 * followed. Only reads: used to protect the real place of a path reached through a link, so
 * that a link in a store (planted or not) cannot make protected data look orphaned.
 */
export function realPathInRoot(root: string, path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  let at = '/';
  let followed = false;
  for (let i = 0, hops = 0; i < parts.length; i++) {
    const next = posix.normalize(`${at}/${parts[i]}`);
    let link: string | undefined;
    try {
      const st = fs.lstatSync(hostPath(root, next), { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) link = fs.readlinkSync(hostPath(root, next));
    } catch {
      // unreadable: the rest is taken as written
    }
    if (link === undefined || ++hops > 40) {
      at = next;
      continue;
    }
    followed = true;
    const base = link.startsWith('/') ? '/' : at;
    parts.splice(
      0,
      parts.length,
      ...posix.normalize(`${base}/${link}`).split('/').filter(Boolean),
      ...parts.slice(i + 1),
    );
    at = '/';
    i = -1;
  }
  return followed ? at : undefined;
}

/** `--config X` of an installed `keepsake.service` unit, as the booted system names it. */
function serviceConfigs(root: string): Array<{ unit: string; config: string }> {
  const out: Array<{ unit: string; config: string }> = [];
  for (const dir of UNIT_DIRS) {
    const unit = `${dir}/${SERVICE_UNIT}`;
    let text: string;
    try {
      text = fs.readFileSync(hostPath(root, unit), 'utf8');
    } catch {
      continue; // not installed there
    }
    for (const line of text.split('\n')) {
      if (!/^\s*ExecStart\s*=/.test(line)) continue;
      const m = /\s--config\s+("(?:[^"\\]|\\.)*"|\S+)/.exec(line);
      if (!m?.[1]) continue;
      const word = m[1].startsWith('"') ? m[1].slice(1, -1).replace(/\\(.)/g, '$1') : m[1];
      const config = word.replace(/%%/g, '%').replace(/\$\$/g, '$');
      if (config.startsWith('/')) out.push({ unit, config });
    }
  }
  return out;
}

/**
 * Every store path whose source is a live mount: a bind mount shows the directory of its file
 * system it comes from (mountinfo's `root`), so a mount whose file system and root lie within a
 * store's shows which store path it exposes. The mount table is the truth here: a bind set up
 * by compiled units, or whose record in /run was lost, is found all the same.
 */
function liveMountSources(root: string, stores: readonly string[], mounts: readonly MountInfo[]) {
  const out: Array<{ path: string; mountPoint: string }> = [];
  for (const store of stores) {
    const host = hostPath(root, store);
    const src = sourceOf(mounts, host);
    if (!src) continue;
    for (const m of mounts) {
      // A source deleted since it was mounted shows as `<path>//deleted`.
      const from = m.root.replace(/\/\/deleted$/, '');
      if (m.device !== src.device || !isWithin(from, src.root)) continue;
      const rest = src.root === '/' ? from : from.slice(src.root.length);
      const path = rest === '' || rest === '/' ? store : posix.normalize(`${store}/${rest}`);
      if (path === store) continue; // the store itself (its own mount), never an orphan
      out.push({ path, mountPoint: systemPathOf(root, m.mountPoint) ?? m.mountPoint });
    }
  }
  return out;
}

/**
 * A user's storage directories: the storage location of Home Manager's classic layout
 * (`users.<name>.persistence.<dir>`), a user's part of a system store (`<store><home>`), and
 * the directory holding a user's `.keepsake-home`.
 */
function userStorageDirs(model: Model): Array<{ path: string; user: string }> {
  const out: Array<{ path: string; user: string }> = [];
  for (const e of model.entries) {
    if (!e.home) continue;
    const part = childPath(e.storeRoot, e.home.path.slice(1));
    out.push({ path: isWithin(e.store, part) ? part : e.storeRoot, user: e.home.user });
  }
  for (const h of model.homeFiles ?? []) {
    if (h.state.from === 'user-store') {
      out.push({ path: posix.dirname(h.state.path), user: h.user.user });
    }
  }
  return out;
}

/**
 * The protected set. `whole` protects a path, everything in it, and the way to it (its
 * ancestors are not orphaned; their other children may be). `user-owned` protects, from
 * root, whatever a user owns inside a user's storage directory. Every path given in a form
 * that may be reached through a link is protected at its real place as well.
 */
export function protectedSet(model: Model, inputs: ProtectionInputs): Protection[] {
  const { root, mounts, live } = inputs;
  const list: Protection[] = [];
  const whole = (path: string | undefined, why: string) => {
    if (path === undefined || !path.startsWith('/')) return;
    const p = posix.normalize(path);
    list.push({ path: p, why, scope: 'whole' });
    const real = realPathInRoot(root, p);
    if (real !== undefined && real !== p) {
      list.push({
        path: real,
        why: `${why}, reached through a symbolic link at ${p}`,
        scope: 'whole',
      });
    }
  };

  // The data of every entry, of the configuration and of the generation live in this boot:
  // an entry dropped from the configuration is still mounted until the next apply.
  for (const e of model.entries)
    whole(e.store, `it is the data of the ${e.kind} entry ${e.target}`);
  for (const e of live?.model.entries ?? []) {
    whole(
      e.store,
      `it is the data of the ${e.kind} entry ${e.target} of the generation live in this boot`,
    );
  }
  // The configuration files in use: the one given, the live generation's, the service's.
  whole(systemPathOf(root, model.configFile), 'it is the configuration file in use');
  whole(
    live && systemPathOf(root, live.configFile),
    'it is the configuration file of the generation live in this boot',
  );
  for (const s of serviceConfigs(root))
    whole(s.config, `it is the configuration file ${s.unit} applies at boot`);
  // Every home store, and every home-file source (both as written and, with --root, inside it).
  for (const m of [model, ...(live ? [live.model] : [])]) {
    for (const h of m.homeStores ?? []) whole(h.path, `it is the home store of ${h.user}`);
    for (const h of m.homeFiles ?? []) {
      whole(h.state.path, `it is the home store of ${h.user.user}`);
      for (const f of h.files) {
        if (f.content.kind !== 'source') continue;
        const why = `it is the source of ${h.user.user}'s home file ${f.target}`;
        whole(f.content.path, why);
        if (root !== '/') whole(systemPathOf(root, f.content.path), why);
      }
    }
  }
  // keepsake's own records in every store.
  const stores = [...new Set([...model.stores, ...(live?.model.stores ?? [])])];
  for (const s of stores) {
    // Salvages hold what reboots wiped and nothing else has: never orphans, whatever the
    // configuration says now (`salvage.keepBoots` expires them).
    whole(
      childPath(s, `${RECORDS_DIR}/salvage`),
      'it holds the salvages of files reboots wiped (keepsake salvage list)',
    );
    whole(childPath(s, RECORDS_DIR), "it holds keepsake's own records");
    whole(childPath(s, HOME_RECORDS_DIR), "it holds keepsake's home files");
  }
  // The source of every live mount.
  for (const m of liveMountSources(root, stores, mounts)) {
    whole(m.path, `it is the source of the mount at ${m.mountPoint}`);
  }
  // For root, what a user owns in a user's storage directory.
  for (const m of [model, ...(live ? [live.model] : [])]) {
    for (const u of userStorageDirs(m)) {
      list.push({ path: u.path, why: `${u.user}'s storage directory`, scope: 'user-owned' });
    }
  }
  return list;
}
