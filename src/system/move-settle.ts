// The second half of a move (see move.ts for the whole and its invariant): once the store is
// bound over the target, whatever is left at the old source is settled through a descriptor
// on it. Per entry, in rounds until the source is empty:
// - unchanged since it was verified: removed (identity, size, mtime and ctime checked again
//   right before the unlink, through descriptors that never follow a link);
// - new, or changed since: copied again with `cp -a`, compared with its source, and put in
//   the store; if the store's entry changed too (a program wrote it after the bind), the
//   store's stays and this one is kept in the backup directory, and reported;
// - a directory is removed once empty, after the store has one of its own.

import * as fs from 'node:fs';
import { keyOf, type MoveJournal, type StatKey, sameKey, writeJournal } from './move-journal.js';
import {
  checkpoint,
  cpA,
  differs,
  join,
  lkey,
  nameOf,
  openForWriting,
  parentOf,
  sameContent,
  syncFs,
  walk,
} from './move-tree.js';
import { removeTreeSafe } from './remove-tree.js';
import { lstatOrNull, mkdirSafe, withoutVerifiedDirCache, withVerifiedPath } from './safe-fs.js';

const O_PATH = 0o10000000;
const { O_NOFOLLOW, O_DIRECTORY, O_RDONLY } = fs.constants;
const ROUNDS = 20;

export interface SettleContext {
  /** Where the source's entries are read: a /proc/self/fd alias (and `/name` for a file). */
  base: string;
  type: 'directory' | 'file';
  to: string;
  backup: string;
  journalFile: string;
  journal: MoveJournal;
  /** The source as people know it, for messages. */
  shown: string;
}

/** Settle until nothing is left at the source; returns what was kept beside the store's. */
export function settle(c: SettleContext): { kept: string[]; left: string[] } {
  const kept: string[] = [];
  let left: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const busy = new Map<string, string>();
    left = settleRound(c, kept, busy);
    writeJournal(c.journalFile, c.journal);
    if (left.length === 0) break;
    // Only files programs keep open are left: more rounds cannot change that.
    if (busy.size > 0 && left.every((rel) => busy.has(rel) || isDir(join(c.base, rel)))) {
      return {
        kept,
        left: [...busy].map(
          ([rel, who]) => `${rel || nameOf(c.shown)} is open for writing by ${who}`,
        ),
      };
    }
  }
  return { kept, left: left.map((rel) => `${rel || nameOf(c.shown)} kept changing`) };
}

const isDir = (p: string) => lstatOrNull(p)?.isDirectory() === true;

function settleRound(c: SettleContext, kept: string[], busy: Map<string, string>): string[] {
  const open = openForWriting();
  const rels = c.type === 'file' ? [''] : walk(c.base);
  const again: Array<{ rel: string; key: StatKey; keep?: boolean }> = [];
  const dirs: string[] = [];
  for (const rel of rels) {
    const st = fs.lstatSync(join(c.base, rel), { bigint: true, throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) {
      dirs.push(rel);
      continue;
    }
    const key = keyOf(st);
    const writer = open.get(`${key.dev}:${key.ino}`);
    if (writer) {
      // Kept where it is while a program holds it open; its latest state goes to the store.
      busy.set(rel, writer);
      if (!sameKey(c.journal.verified[rel]?.src, key)) again.push({ rel, key, keep: true });
      continue;
    }
    if (sameKey(c.journal.verified[rel]?.src, key)) {
      removeIfSame(c, rel, key);
      checkpoint();
    } else again.push({ rel, key });
  }
  if (again.length > 0) copyAgain(c, again, kept);
  // Directories last, deepest first: removed once empty, the store having its own.
  for (const rel of dirs.reverse()) {
    const at = join(c.base, rel);
    if (fs.readdirSync(at).length > 0) continue;
    const dst = storeDir(c, rel);
    if (!dst) continue;
    withParent(c.base, rel, (p, name) => {
      try {
        fs.rmdirSync(`${p}/${name}`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'ENOENT') throw e;
      }
    });
    checkpoint();
  }
  if (c.type === 'file') return lstatOrNull(c.base) ? [c.shown] : [];
  return walk(c.base);
}

/** Copy new and changed entries in one `cp -a`, verify each, and put it in the store. */
function copyAgain(
  c: SettleContext,
  again: Array<{ rel: string; key: StatKey; keep?: boolean }>,
  kept: string[],
) {
  const stage = `${parentOf(c.to)}/.${nameOf(c.to)}.keepsake-again`;
  clear(stage);
  mkdirSafe(stage, 0, 0, 0o700);
  try {
    if (c.type === 'file') cpA([c.base], `${stage}/f`, { shown: c.shown, tolerateVanished: true });
    else {
      for (let i = 0; i < again.length; i += 500) {
        const chunk = again.slice(i, i + 500).map((a) => a.rel);
        cpA(chunk, stage, { cwd: c.base, parents: true, tolerateVanished: true, shown: c.shown });
      }
    }
    syncFs(stage);
    for (const { rel, key, keep: stays } of again) {
      const staged = c.type === 'file' ? `${stage}/f` : `${stage}/${rel}`;
      const src = join(c.base, rel);
      if (!lstatOrNull(staged) || !sameKey(lkey(src), key)) continue;
      // Changed while being copied: next round.
      if (differs(src, staged) || !sameKey(lkey(src), key)) continue;
      place(c, rel, key, staged, kept);
      checkpoint();
      if (stays) continue;
      removeIfSame(c, rel, key);
      checkpoint();
    }
  } finally {
    clear(stage);
  }
}

/** Put a verified copy in the store, or beside it when the store's entry changed too. */
function place(c: SettleContext, rel: string, key: StatKey, staged: string, kept: string[]) {
  const dst = join(c.to, rel);
  const parent = c.type === 'file' ? parentOf(c.to) : storeDir(c, parentOf(`/${rel}`).slice(1));
  const d = parent ? lstatOrNull(dst) : null;
  if (parent && !d) {
    // Never replaces: a program may have created the name in the store meanwhile.
    try {
      withVerifiedPath(parentOf(dst), 'directory', (at) =>
        fs.linkSync(staged, `${at}/${nameOf(dst)}`),
      );
      c.journal.verified[rel] = { src: key, dst: lkey(dst)! };
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (parent && lstatOrNull(dst) && sameContent(staged, dst)) {
    c.journal.verified[rel] = { src: key, dst: lkey(dst)! };
    return;
  }
  const ours = c.journal.verified[rel]?.dst;
  if (parent && ours && sameKey(ours, lkey(dst)) && !fs.lstatSync(dst).isDirectory()) {
    // The store's entry is still the copy keepsake made: the newer one replaces it. Should a
    // program write to the old one in between, that version is kept as well.
    const old = fs.lstatSync(dst).isFile() ? fs.openSync(dst, O_RDONLY | O_NOFOLLOW) : undefined;
    try {
      withVerifiedPath(parentOf(dst), 'directory', (at) =>
        fs.renameSync(staged, `${at}/${nameOf(dst)}`),
      );
      c.journal.verified[rel] = { src: key, dst: lkey(dst)! };
      if (old !== undefined && !sameKey(keyOf(fs.fstatSync(old, { bigint: true })), ours)) {
        keep(c, rel, (to) => fs.writeFileSync(to, fs.readFileSync(old)), kept);
      }
    } finally {
      if (old !== undefined) fs.closeSync(old);
    }
    return;
  }
  // Both sides changed: the store's stays where programs see it; this one is kept.
  keep(
    c,
    rel,
    (to) => {
      try {
        fs.renameSync(staged, to);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        cpA([staged], to, { shown: c.shown });
      }
    },
    kept,
  );
}

/** Keep a version in the backup directory under a name not taken yet. */
function keep(c: SettleContext, rel: string, write: (to: string) => void, kept: string[]) {
  const want = join(c.backup, rel || nameOf(c.shown));
  ensureDirs(parentOf(want));
  let to = want;
  for (let n = 1; lstatOrNull(to); n++) to = `${want}.${n}`;
  write(to);
  kept.push(to);
}

/** Root's private directories for keepsake's own bookkeeping. */
function ensureDirs(dir: string) {
  const missing: string[] = [];
  for (let d = dir; !lstatOrNull(d); d = parentOf(d)) missing.unshift(d);
  for (const d of missing) mkdirSafe(d, 0, 0, 0o700);
}

/**
 * The store's directory for a source directory, made like it when missing; undefined when
 * something else than a directory is there (the entries then go to the backup directory).
 */
function storeDir(c: SettleContext, rel: string): string | undefined {
  if (!rel) return c.to;
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const r = parts.slice(0, i).join('/');
    const dst = join(c.to, r);
    const st = lstatOrNull(dst);
    if (st && !st.isDirectory()) return undefined;
    if (!st) {
      const src = fs.lstatSync(join(c.base, r));
      mkdirSafe(dst, src.uid, src.gid, src.mode & 0o7777);
    }
  }
  return join(c.to, rel);
}

/** Unlink a source entry only if it is still exactly the state that was copied. */
function removeIfSame(c: SettleContext, rel: string, key: StatKey) {
  withParent(c.base, rel, (p, name) => {
    const now = lkey(`${p}/${name}`);
    if (sameKey(now, key)) fs.unlinkSync(`${p}/${name}`);
  });
}

/**
 * Run `fn` with the entry's parent opened component by component below the source's
 * descriptor (O_NOFOLLOW each time): a link planted in the source cannot redirect a removal.
 */
function withParent(base: string, rel: string, fn: (parent: string, name: string) => void) {
  if (!rel) return fn(parentOf(base), nameOf(base));
  const parts = rel.split('/');
  const name = parts.pop()!;
  const fds: number[] = [];
  try {
    let at = base;
    for (const part of parts) {
      const fd = fs.openSync(`${at}/${part}`, O_PATH | O_NOFOLLOW | O_DIRECTORY);
      fds.push(fd);
      at = `/proc/self/fd/${fd}`;
    }
    fn(at, name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Gone, or a link now: left alone (a link is never followed).
    if (code !== 'ENOENT' && code !== 'ELOOP' && code !== 'ENOTDIR') throw e;
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

function clear(stage: string) {
  if (lstatOrNull(stage)) withoutVerifiedDirCache(() => removeTreeSafe(stage));
}
