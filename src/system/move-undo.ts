// Undoing a begun move (a later step of the same apply failed): the store's copy goes, or the
// rename is reversed, and the journal with it. Nothing at the source is deleted here: what
// programs wrote there while the data was renamed away is moved, into the data or the backup
// (move-undo-merge.ts).

import * as fs from 'node:fs';
import { SystemError } from '../errors.js';
import { stepCounter } from '../hooks.js';
import { clearPartial, type MoveSpec, partialOf, releaseSource, renameInto } from './move.js';
import {
  dropJournal,
  type MoveJournal,
  readJournal,
  sameKey,
  writeJournal,
} from './move-journal.js';
import { join, lkey, nameOf, parentOf, walk } from './move-tree.js';
import { emptyPlaceholder } from './move-undo-merge.js';
import { removeTreeSafe } from './remove-tree.js';
import {
  forgetVerified,
  lstatOrNull,
  mkdirSafe,
  withoutVerifiedDirCache,
  withVerifiedPath,
} from './safe-fs.js';

/**
 * Undo a begun move, before anything at the source was removed: the copy goes (or the rename
 * is reversed). Once removal began (`settling`), the store's copy is the only one of what was
 * removed: it stays, with the journal, and the next run finishes the move.
 */
export function undoMove(spec: MoveSpec): string[] {
  const { from, to } = spec;
  releaseSource(from);
  const journal = readJournal(spec.journal);
  if (!journal || journal.phase === 'settling') return [];
  stepCounter('move-undo-begin')(); // tests: a stop before the undo changes anything
  const step = stepCounter('move-undo'); // crash tests: a kill after each change it makes
  clearPartial(partialOf(to), step);
  if (journal.renamed) {
    let kept: string[] = [];
    // The directory made in its place holds only what programs wrote there since the rename:
    // that joins the data (or the backup), never removed, and the directory goes by rmdir.
    if (spec.type === 'directory' && lstatOrNull(from)) {
      kept = withVerifiedPath(parentOf(from), 'directory', (at) =>
        withVerifiedPath(to, 'directory', (tree) =>
          emptyPlaceholder(at, nameOf(from), tree, spec.backup, step),
        ),
      );
      forgetVerified(from);
      step();
    }
    if (!renameInto(to, from))
      throw new SystemError('rename', 'EXDEV', from, `cannot move '${to}' back`);
    step();
    if (journal.toExisted) {
      const st = fs.lstatSync(from);
      mkdirSafe(to, st.uid, st.gid, st.mode & 0o7777);
    }
    dropJournal(spec.journal);
    return kept.map(
      (k) =>
        `kept ${k}: written at the source while the data was in the store, which has its own; both are kept`,
    );
  }
  if (lstatOrNull(to)) {
    // Only the copy keepsake made, unchanged, is removed.
    const changed = (spec.type === 'file' ? [''] : walk(to)).filter(
      (rel) =>
        !sameKey(journal.verified[rel]?.dst, lkey(join(to, rel))) &&
        !fs.lstatSync(join(to, rel)).isDirectory(),
    );
    if (changed.length > 0) {
      throw new SystemError(
        'adopt',
        'EBUSY',
        to,
        `the copy in '${to}' changed since keepsake made it (${changed.slice(0, 3).join(', ')}); both it and the original are kept`,
        'compare the two, keep what you need, then apply again',
      );
    }
    if (journal.phase === 'copied') takeBackCopy(spec, journal, step);
    else {
      withoutVerifiedDirCache(() => {
        if (spec.type === 'file' || !journal.toExisted) removeTreeSafe(to, { onRemoved: step });
        else for (const name of fs.readdirSync(to)) removeTreeSafe(`${to}/${name}`);
      });
    }
  }
  dropJournal(spec.journal);
  return [];
}

/**
 * Deletes the verified copy of an undone move. Invariant: a copy partly deleted is never taken
 * for the verified one, whose presence lets the next run remove the source. So it first goes
 * back to the partial copy's name (one rename: killed before it, the whole copy is in place
 * and the next run finishes the move with it), then the journal says the copy is incomplete,
 * and only then is it deleted: killed during the deletion, what is left is a partial copy,
 * which every later run only clears, and the source still holds everything.
 */
function takeBackCopy(spec: MoveSpec, journal: MoveJournal, step: () => void): void {
  const { to } = spec;
  const partial = partialOf(to);
  const st = fs.lstatSync(to);
  if (!renameInto(to, partial)) {
    throw new SystemError('rename', 'EXDEV', to, `cannot move '${to}' aside to remove it`);
  }
  // A directory that was there before the move stays, empty, as it was found.
  if (spec.type === 'directory' && journal.toExisted) {
    mkdirSafe(to, st.uid, st.gid, st.mode & 0o7777);
  }
  journal.phase = 'copy';
  writeJournal(spec.journal, journal);
  clearPartial(partial, step);
}
