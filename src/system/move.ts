// Moving data that is in the way into the store (adoption), in two steps around the bind:
//
// 1. `beginMove` (the `adopt` action): on one file system, one rename; across file systems,
//    `cp -a` into a partial copy beside the destination, each entry compared with its source
//    (type, owner, mode, size, SHA-256, link text), then renamed into place. The source is not
//    touched, and a descriptor on it is kept.
// 2. The plan binds the store over the target: from then on, programs that open paths there
//    write into the store.
// 3. `finishMove` (the `adopt-finish` action, move-settle.ts): through the kept descriptor,
//    whatever appeared or changed at the source since the copy is copied again, and what was
//    copied and verified is removed.
//
// Invariant: an entry at the source is removed only when a verified copy of it is in the
// store and its identity, size, mtime and ctime, checked at removal time, are still those
// of the state that was verified. So everything a program created, changed or appended to,
// before, during or after the move, ends in the store: in place, or, where both sides
// changed, kept in `<store>/.keepsake/backup/<time>/<path>` and reported.
// The journal (move-journal.ts) is written before the first byte moves; a run killed at any
// point leaves it, and the next run finishes the same move. A failure before the bind removes
// the partial copy and the journal and leaves the source as it was.

import * as fs from 'node:fs';
import { SystemError } from '../errors.js';
import {
  dropJournal,
  type MoveJournal,
  readJournal,
  sameKey,
  type Verified,
  writeJournal,
} from './move-journal.js';
import { settle } from './move-settle.js';
import {
  checkpoint,
  counts,
  cpA,
  differs,
  forChild,
  join,
  lkey,
  nameOf,
  parentOf,
  syncFs,
  walk,
} from './move-tree.js';
import { removeTreeSafe } from './remove-tree.js';
import {
  forgetVerified,
  lstatOrNull,
  mkdirSafe,
  toSystemError,
  withoutVerifiedDirCache,
  withVerifiedPath,
} from './safe-fs.js';

export interface MoveReport {
  how: 'rename' | 'copy' | 'resumed';
  files: number;
  bytes: number;
}

/** One move, as the executor hands it over: host paths, and the plan's names for the journal. */
export interface MoveSpec {
  from: string;
  to: string;
  type: 'directory' | 'file';
  how: 'into-store' | 'backup';
  /** The journal file (host path). */
  journal: string;
  /** Where a changed source entry is kept when the store's copy changed too (host path). */
  backup: string;
  /** The plan's paths, recorded in the journal. */
  plan: { target: string; to: string; backup: string };
}

const O_PATH = 0o10000000;
const { O_DIRECTORY } = fs.constants;

/** Descriptors on the sources of moves begun in this run: `base` is where the data is read. */
interface Held {
  fd: number;
  base: string;
}
const held = new Map<string, Held>();

export const partialOf = (to: string) => `${parentOf(to)}/.${nameOf(to)}.keepsake-partial`;

/** Open the source (a directory, or a file's directory) once, refusing any link on the way. */
export function holdSource(from: string, type: 'directory' | 'file', fd?: number): Held {
  const had = held.get(from);
  if (had) return had;
  const dir = type === 'directory' ? from : parentOf(from);
  const opened =
    fd ?? withVerifiedPath(dir, 'directory', (at) => fs.openSync(at, O_PATH | O_DIRECTORY));
  const base = `/proc/self/fd/${opened}${type === 'file' ? `/${nameOf(from)}` : ''}`;
  const h = { fd: opened, base };
  held.set(from, h);
  return h;
}

export function heldSource(from: string): Held | undefined {
  return held.get(from);
}

export function releaseSource(from: string): void {
  const h = held.get(from);
  if (!h) return;
  held.delete(from);
  fs.closeSync(h.fd);
}

/** Killed between journaling the verified copy and renaming it into place: rename it now
 *  (over the empty directory that may stand there, as the first time). */
function placePartial(partial: string, to: string) {
  if (!lstatOrNull(partial)) return;
  const there = lstatOrNull(to);
  if (there && !(there.isDirectory() && fs.readdirSync(to).length === 0)) return;
  if (!renameInto(partial, to)) {
    throw new SystemError('rename', 'EXDEV', to, `cannot rename '${partial}' to '${to}'`);
  }
}

/** Remove the partial copy of an earlier, unfinished or failed attempt: it is only ever ours. */
export function clearPartial(partial: string, onRemoved?: () => void): void {
  if (!lstatOrNull(partial)) return;
  withoutVerifiedDirCache(() => removeTreeSafe(partial, onRemoved ? { onRemoved } : {}));
}

/**
 * A rename move whose undo put the data back but was killed before it dropped the journal:
 * the store holds nothing there (no entry, or the empty directory that was there before)
 * while the journal says the data was renamed into it. The move starts again from the
 * source, which holds everything; resuming would take the empty store for the data.
 */
function renameReversed(journal: MoveJournal, to: string): boolean {
  if (!journal.renamed) return false;
  const there = lstatOrNull(to);
  return !there || (there.isDirectory() && fs.readdirSync(to).length === 0);
}

export function beginMove(spec: MoveSpec): MoveReport {
  const { from, to, type } = spec;
  const partial = partialOf(to);
  const journal = readJournal(spec.journal);
  if (
    journal &&
    journal.phase !== 'copy' &&
    journal.target === spec.plan.target &&
    !renameReversed(journal, to)
  ) {
    // Killed after the copy was verified: the same move goes on (the copy is in the store,
    // the source still holds everything it held then).
    placePartial(partial, to);
    holdSource(from, type);
    return { how: 'resumed', ...counts(from, type) };
  }
  if (journal) clearPartial(partial);
  const src = withVerifiedPath(from, type, (_p, st) => st);
  const existing = lstatOrNull(to);
  if (existing && (type === 'file' || !existing.isDirectory() || fs.readdirSync(to).length > 0)) {
    throw new SystemError(
      'adopt',
      'EEXIST',
      to,
      `'${to}' already holds data; keepsake does not merge into it`,
    );
  }
  const totals = counts(from, type);
  const record: MoveJournal = {
    version: 1,
    target: spec.plan.target,
    to: spec.plan.to,
    backup: spec.plan.backup,
    type,
    how: spec.how,
    phase: 'copy',
    renamed: false,
    toExisted: existing !== null,
    verified: {},
  };
  // The intent is on disk before the first byte moves: a full or read-only store fails here.
  journalOrFail(spec, record);
  checkpoint();
  try {
    // One file system: one rename moves the whole tree (and replaces an empty directory).
    if (renameInto(from, to)) {
      record.renamed = true;
      checkpoint();
      if (type === 'directory') mkdirSafe(from, src.uid, src.gid, src.mode & 0o7777);
      record.phase = 'copied';
      writeJournal(spec.journal, record);
      checkpoint();
      holdSource(from, type);
      return { how: 'rename', ...totals };
    }
  } catch (e) {
    if (!record.renamed && lstatOrNull(from)) dropJournal(spec.journal);
    throw e;
  }
  const source = holdSource(from, type);
  try {
    clearPartial(partial);
    const before = snapshot(source.base, type);
    cpA([forChild(source.base)], partial, { shown: from, deref: type === 'directory' });
    checkpoint();
    record.verified = verifyCopy(source.base, partial, before, type, from);
    checkpoint();
    record.phase = 'copied';
    writeJournal(spec.journal, record);
    syncFs(parentOf(to));
    checkpoint();
    if (!renameInto(partial, to)) {
      throw new SystemError('rename', 'EXDEV', to, `cannot rename '${partial}' to '${to}'`);
    }
  } catch (e) {
    // Nothing at the source was touched: take back our own partial copy and journal.
    releaseSource(from);
    clearPartial(partial);
    dropJournal(spec.journal);
    throw e;
  }
  checkpoint();
  return { how: 'copy', ...totals };
}

function journalOrFail(spec: MoveSpec, record: MoveJournal) {
  try {
    writeJournal(spec.journal, record);
  } catch (e) {
    try {
      dropJournal(spec.journal);
    } catch {
      // nothing was written
    }
    throw toSystemError(e, 'write', spec.journal, 'record the move in');
  }
}

/** The state of every entry at the source before the copy. */
function snapshot(base: string, type: 'directory' | 'file') {
  const keys = new Map<string, ReturnType<typeof lkey>>();
  for (const rel of type === 'file' ? [''] : walk(base)) keys.set(rel, lkey(join(base, rel)));
  return keys;
}

/**
 * Compare every entry of the copy with its source. An entry whose source did not change
 * during the copy and matches exactly is verified; one that changed is kept unverified (it is
 * copied again later); one its program removed meanwhile leaves the copy too.
 */
function verifyCopy(
  base: string,
  partial: string,
  before: Map<string, ReturnType<typeof lkey>>,
  type: 'directory' | 'file',
  shown: string,
): Record<string, Verified> {
  const verified: Record<string, Verified> = {};
  const entries = type === 'file' ? [''] : walk(partial);
  const gone: string[] = [];
  for (const rel of entries) {
    if (gone.some((g) => rel.startsWith(`${g}/`))) continue;
    const s = join(base, rel);
    const c = join(partial, rel);
    const now = lkey(s);
    const copy = lkey(c)!;
    if (!now) {
      gone.push(rel);
      withoutVerifiedDirCache(() => removeTreeSafe(c));
      continue;
    }
    if (fs.lstatSync(c).isDirectory() && sameKey(before.get(rel), now) && differs(s, c)) {
      throw new SystemError(
        'verify',
        'EIO',
        c,
        `the copy of '${join(shown, rel)}' differs (${differs(s, c)}); the original was left in place`,
      );
    }
    if (fs.lstatSync(c).isDirectory() || !sameKey(before.get(rel), now)) {
      verified[rel] = { dst: copy };
      continue;
    }
    const why = differs(s, c);
    if (!sameKey(lkey(s), now)) {
      verified[rel] = { dst: copy };
      continue;
    }
    if (why) {
      throw new SystemError(
        'verify',
        'EIO',
        c,
        `the copy of '${join(shown, rel)}' differs (${why}); the original was left in place`,
      );
    }
    verified[rel] = { src: now, dst: copy };
  }
  return verified;
}

/**
 * Settle what is left at the source once the store is bound over it (move-settle.ts), then
 * drop the journal. `openSource` opens the source directory (a file's directory), looking
 * beneath a mount on it; undefined when it is gone (a reboot emptied the root).
 * Returns one line per version kept beside the store's.
 */
export function finishMove(spec: MoveSpec, openSource: () => number | undefined): string[] {
  const { from, to, type } = spec;
  const journal = readJournal(spec.journal);
  if (!journal || journal.target !== spec.plan.target) {
    releaseSource(from);
    return [];
  }
  if (journal.phase === 'copy') {
    // The copy never completed, and nothing is left at the source to copy (otherwise the
    // plan would have begun the move again): only the partial copy is left to take back.
    releaseSource(from);
    clearPartial(partialOf(to));
    dropJournal(spec.journal);
    return [];
  }
  placePartial(partialOf(to), to);
  let source = heldSource(from);
  if (!source) {
    const fd = openSource();
    if (fd === undefined) {
      dropJournal(spec.journal);
      return [];
    }
    source = holdSource(from, type, fd);
  }
  journal.phase = 'settling';
  writeJournal(spec.journal, journal);
  checkpoint();
  const { kept, left } = settle({
    base: source.base,
    type,
    to,
    backup: spec.backup,
    journalFile: spec.journal,
    journal,
    shown: from,
  });
  if (left.length > 0) {
    throw new SystemError(
      'adopt',
      'EBUSY',
      from,
      `could not finish moving '${from}': ${left.slice(0, 3).join('; ')}${left.length > 3 ? ` (and ${left.length - 3} more)` : ''}; the store holds a verified copy, the rest stays until it is settled`,
      'stop that program, then apply again: the move goes on where it stopped, and the store already has everything else',
    );
  }
  releaseSource(from);
  dropJournal(spec.journal);
  checkpoint();
  return kept.map((k) => `kept ${k}: the store's copy changed as well, both are kept`);
}

/** rename(2) through verified parents; false when the two are on different mounts. */
export function renameInto(from: string, to: string): boolean {
  return withVerifiedPath(parentOf(from), 'directory', (a) =>
    withVerifiedPath(parentOf(to), 'directory', (b) => {
      try {
        fs.renameSync(`${a}/${nameOf(from)}`, `${b}/${nameOf(to)}`);
        // Descriptors kept for either path now point at the moved tree: drop them.
        forgetVerified(from);
        forgetVerified(to);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EXDEV') return false;
        throw toSystemError(e, 'rename', to, 'move data to');
      }
    }),
  );
}
