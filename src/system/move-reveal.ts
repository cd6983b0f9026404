// Reaching a move's source when the store is already bound over it (a run killed between the
// bind and the end of the move): a bind of the parent directory, without its submounts, shows
// what lies beneath the bind. The bind is made on a private directory in the store's journal
// directory, the source is opened through it, and the bind is detached at once; the
// descriptor keeps the view alive for as long as the move needs it.

import * as fs from 'node:fs';
import { topMountAt } from '../core/mount-table.js';
import type { MountBackend } from './mount-backend.js';
import { readMountInfo } from './mountinfo.js';
import type { MoveSpec } from './move.js';
import { nameOf, parentOf } from './move-tree.js';
import { forgetVerified, lstatOrNull, mkdirSafe, withVerifiedPath } from './safe-fs.js';

const O_PATH = 0o10000000;
const { O_NOFOLLOW, O_DIRECTORY } = fs.constants;

/**
 * A descriptor on the move's source directory (for a file: the directory holding it), looking
 * beneath a mount on it; undefined when there is nothing there.
 */
export function openSourceDir(backend: MountBackend, move: MoveSpec): number | undefined {
  const { from, type } = move;
  if (!lstatOrNull(from)) return undefined;
  const covered = topMountAt(readMountInfo(), from) !== undefined;
  if (!covered) {
    const dir = type === 'directory' ? from : parentOf(from);
    return withVerifiedPath(dir, 'directory', (at) => fs.openSync(at, O_PATH | O_DIRECTORY));
  }
  const stage = `${parentOf(move.journal)}/beneath-${process.pid}`;
  if (!lstatOrNull(stage)) mkdirSafe(stage, 0, 0, 0o700);
  try {
    withVerifiedPath(parentOf(from), 'directory', (parent) =>
      withVerifiedPath(stage, 'directory', (at) => backend.bind(parent, at)),
    );
    try {
      const dir = type === 'directory' ? `${stage}/${nameOf(from)}` : stage;
      return fs.openSync(dir, O_PATH | O_NOFOLLOW | O_DIRECTORY);
    } finally {
      withVerifiedPath(parentOf(stage), 'directory', (at) =>
        backend.unmount(`${at}/${nameOf(stage)}`, { detach: true }),
      );
    }
  } finally {
    forgetVerified(stage);
    withVerifiedPath(parentOf(stage), 'directory', (at) => fs.rmdirSync(`${at}/${nameOf(stage)}`));
  }
}
