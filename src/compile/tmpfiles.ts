// The prepare service's work as tmpfiles.d lines: every store directory and file, mount point
// and link the binds need, created before any bind with the owners `apply` would give them.
// Existing paths keep their owner and mode (the `:` prefix: "only when creating"), except
// what the configuration names for the entry itself, which `apply` corrects too.

import { ancestorsOf, parentOf } from '../core/paths.js';
import type { PersistEntry } from '../model/types.js';
import { MACHINE_ID_SEED } from '../plan/entry-file.js';
import { ownerForCreatedDir } from '../plan/owners.js';
import { tmpfilesArgument, tmpfilesPath } from './escape.js';
import type { Layout } from './layout.js';
import { MACHINE_ID } from './machine-id.js';
import { isHostKey } from './ssh-keys.js';
import type { TmpfilesRule } from './types.js';

/** `apply` seeds the stored machine-id read-only for all, root's. */
const MACHINE_ID_OWNER = { uid: 0, gid: 0, mode: 0o444 };
const NOT_NAMED = { user: false, group: false, mode: false };
const ROOT_DIR = { uid: 0, gid: 0, mode: 0o755 };

/** The lines, parents before children, one per path (tmpfiles ignores a second line for a
 *  path, so an entry's own line takes the place of a parent line for the same path). */
export function buildPrepareRules(layout: Layout, prefix: string): TmpfilesRule[] {
  const rules = new Map<string, { rule: TmpfilesRule; own: boolean }>();
  const at = (path: string) => (prefix === '' ? path : path === '/' ? prefix : prefix + path);
  const add = (rule: TmpfilesRule, own: boolean) => {
    const prev = rules.get(rule.path);
    if (!prev || (own && !prev.own)) rules.set(rule.path, { rule, own });
  };
  const parents = (entry: PersistEntry, path: string, side: 'store' | 'target') => {
    for (const dir of ancestorsOf(path)) {
      if (dir === '/') continue;
      const o = ownerForCreatedDir(entry, dir, side);
      // tmpfiles creates missing leading directories as root's, 0755, by itself: a line
      // is needed only for another owner or mode.
      if (o.uid === 0 && o.gid === 0 && o.mode === 0o755) continue;
      add({ type: 'd', path: at(layout.live(dir)), ...o, enforce: NOT_NAMED }, false);
    }
  };
  for (const entry of layout.ordered) {
    const { owner } = entry;
    const own = { uid: owner.uid, gid: owner.gid, mode: owner.mode, enforce: owner.explicit };
    const store = at(layout.live(entry.store));
    const covered = layout.covered.has(entry.id);
    // The store side, as `apply` makes it (a covered file needs nothing: its parent shows it).
    const hostKey = !covered && entry.method === 'auto' && isHostKey(entry);
    if (entry.kind === 'directory') {
      parents(entry, entry.store, 'store');
      add({ type: 'd', path: store, ...own }, true);
    } else if (hostKey) {
      // Never an empty key: the key unit or the administrator (ssh-keygen -A -f STORE, which
      // needs the directory) makes it. The bind is made only once it holds a key, and
      // systemd makes the target to mount on then.
      parents(entry, entry.store, 'store');
      const dir = parentOf(entry.store);
      add({ type: 'd', path: at(layout.live(dir)), ...ROOT_DIR, enforce: NOT_NAMED }, false);
      continue;
    } else if (!covered) {
      parents(entry, entry.store, 'store');
      if (entry.method === 'auto') add(storeFile(entry, store, prefix === ''), true);
    }
    if (covered) continue;
    // The target side: a link, or a mount point for the bind.
    const target = at(layout.liveTarget(entry));
    parents(entry, entry.target, 'target');
    if (entry.method === 'symlink') {
      add({ type: 'L', path: target, to: entry.store }, true);
    } else {
      const type = entry.kind === 'directory' ? 'd' : 'f';
      add(
        {
          type,
          path: target,
          uid: owner.uid,
          gid: owner.gid,
          mode: owner.mode,
          enforce: NOT_NAMED,
        },
        true,
      );
    }
  }
  return [...rules.values()].map((r) => r.rule);
}

/** A stored file is created (empty, or seeded for machine-id) before the bind, never left
 *  missing: systemd would create a missing bind source as a directory. `booted`: the rules
 *  run in the booted system, not in the initrd. */
function storeFile(entry: PersistEntry, path: string, booted: boolean): TmpfilesRule {
  const { owner } = entry;
  if (entry.target !== MACHINE_ID) {
    return {
      type: 'f',
      path,
      uid: owner.uid,
      gid: owner.gid,
      mode: owner.mode,
      enforce: owner.explicit,
    };
  }
  const e = owner.explicit;
  const ids = {
    uid: e.user ? owner.uid : MACHINE_ID_OWNER.uid,
    gid: e.group ? owner.gid : MACHINE_ID_OWNER.gid,
    mode: e.mode ? owner.mode : MACHINE_ID_OWNER.mode,
    enforce: e,
  };
  // In the booted system the id systemd runs with is already in place: the store keeps it,
  // and the bind shows the same id. (A seed bound over it would show no id at all.)
  if (booted) return { type: 'C', path, from: MACHINE_ID, ...ids };
  // From the initrd, systemd's first-boot logic commits the id it generates into the store.
  return { type: 'f', path, ...ids, content: MACHINE_ID_SEED };
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');
const field = (value: string | number, enforce: boolean) => `${enforce ? '' : ':'}${value}`;

export function renderRule(rule: TmpfilesRule): string {
  const path = tmpfilesPath(rule.path);
  if (rule.type === 'L') return `L ${path} - - - - ${tmpfilesArgument(rule.to)}`;
  const { enforce } = rule;
  if (rule.type === 'C')
    return `C ${path} ${field(octal(rule.mode), enforce.mode)} ${field(rule.uid, enforce.user)} ${field(rule.gid, enforce.group)} - ${tmpfilesArgument(rule.from)}`;
  const cols = `${field(octal(rule.mode), enforce.mode)} ${field(rule.uid, enforce.user)} ${field(rule.gid, enforce.group)} -`;
  // `~`: the argument is base64, so the content is written byte for byte (newline included).
  if (rule.content !== undefined)
    return `${rule.type}~ ${path} ${cols} ${Buffer.from(rule.content).toString('base64')}`;
  return `${rule.type} ${path} ${cols} -`;
}

export function renderRules(rules: readonly TmpfilesRule[], header: readonly string[]): string {
  return `${[...header.map((l) => `# ${l}`), ...rules.map(renderRule)].join('\n')}\n`;
}
