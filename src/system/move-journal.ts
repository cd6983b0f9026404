// The journal of a move into a store: `<store>/.keepsake/moves/<id>.json`, written before the
// first byte moves and removed once the move is finished. A run killed at any point leaves
// it behind, and the next run reads it and finishes the same move (instead of taking the
// store's half-done copy for data of its own and setting the original aside).

import * as fs from 'node:fs';
import { hostPath } from '../core/paths.js';
import type { PendingMove } from '../plan/types.js';
import { sha256Hex } from './digest.js';
import {
  forgetVerified,
  lstatOrNull,
  mkdirSafe,
  withVerifiedPath,
  writeFileAtomicSafe,
} from './safe-fs.js';

/** What identifies a file's state: a change of content, owner, mode or name changes ctime. */
export interface StatKey {
  dev: number;
  ino: number;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
}

/** An entry copied and verified: its state at the source then, and of the copy. */
export interface Verified {
  /** Absent when the source changed during the copy: copied again before it goes. */
  src?: StatKey;
  dst: StatKey;
}

export type MovePhase =
  /** Copying into the partial copy; nothing at the source is touched yet. */
  | 'copy'
  /** The verified copy is in place; the source still holds everything. */
  | 'copied'
  /** Removing verified entries at the source; the store's copy must stay. */
  | 'settling';

export interface MoveJournal {
  version: 1;
  /** The target as the configuration names it (what the planner matches on). */
  target: string;
  /** Where the data goes, and where changed data kept beside the store's goes. */
  to: string;
  backup: string;
  type: 'directory' | 'file';
  how: 'into-store' | 'backup';
  phase: MovePhase;
  /** Moved by one rename (one file system): the source now is a new, empty directory. */
  renamed: boolean;
  /** The destination was an empty directory before the move (it stays after an undo). */
  toExisted: boolean;
  /** Relative path (`''` for the top) → what was verified. */
  verified: Record<string, Verified>;
}

export const MOVES_DIR = '.keepsake/moves';

/** The journal file of a move to `target`, under the store root (host path). */
export function journalPath(storeRoot: string, target: string): string {
  const id = sha256Hex(target).slice(0, 16);
  return `${storeRoot}/${MOVES_DIR}/${id}.json`;
}

/** Write the journal atomically, creating `.keepsake/moves` (root's, private) if missing. */
export function writeJournal(file: string, journal: MoveJournal): void {
  const dir = file.slice(0, file.lastIndexOf('/'));
  const missing: string[] = [];
  for (let d = dir; !lstatOrNull(d); d = d.slice(0, d.lastIndexOf('/'))) missing.unshift(d);
  for (const d of missing) mkdirSafe(d, 0, 0, 0o700);
  writeFileAtomicSafe(file, `${JSON.stringify(journal)}\n`, 0o600);
}

export function readJournal(file: string): MoveJournal | undefined {
  const st = lstatOrNull(file);
  if (!st?.isFile()) return undefined;
  const text = withVerifiedPath(file, 'file', (at) => fs.readFileSync(at, 'utf8'));
  const j = JSON.parse(text) as MoveJournal;
  return j.version === 1 ? j : undefined;
}

/** Remove the journal, then `.keepsake/moves` and `.keepsake` when nothing else is there. */
export function dropJournal(file: string): void {
  const moves = file.slice(0, file.lastIndexOf('/'));
  if (!lstatOrNull(moves)) return;
  withVerifiedPath(moves, 'directory', (at) =>
    fs.rmSync(`${at}/${file.slice(moves.length + 1)}`, { force: true }),
  );
  for (const dir of [moves, moves.slice(0, moves.lastIndexOf('/'))]) {
    const parent = dir.slice(0, dir.lastIndexOf('/')) || '/';
    try {
      forgetVerified(dir);
      withVerifiedPath(parent, 'directory', (at) =>
        fs.rmdirSync(`${at}/${dir.slice(parent.length + 1)}`),
      );
    } catch {
      return; // it holds other moves, generations or backups: it stays
    }
  }
}

/** Every unfinished move journaled in these stores (their roots as the plan names them). */
/** Where each store keeps the journals of its moves (host paths). */
export function movesDirs(root: string, stores: readonly string[]): string[] {
  return stores.map((store) => `${hostPath(root, store)}/${MOVES_DIR}`);
}

export function readPendingMoves(root: string, stores: readonly string[]): PendingMove[] {
  const out: PendingMove[] = [];
  for (const dir of movesDirs(root, stores)) {
    try {
      if (!lstatOrNull(dir)?.isDirectory()) continue;
      for (const name of withVerifiedPath(dir, 'directory', (at) => fs.readdirSync(at))) {
        if (!name.endsWith('.json')) continue;
        const j = readJournal(`${dir}/${name}`);
        if (j) {
          const { target, to, backup, type, how, phase } = j;
          out.push({ target, to, backup, type, how, phase });
        }
      }
    } catch {
      // A store that cannot be read safely (a link in its path, a damaged journal): its
      // entries are refused by the planner with the reason; other stores carry on.
    }
  }
  return out;
}

export function keyOf(st: fs.BigIntStats): StatKey {
  return {
    dev: Number(st.dev),
    ino: Number(st.ino),
    size: Number(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
  };
}

export function sameKey(a: StatKey | undefined, b: StatKey | undefined): boolean {
  return (
    !!a &&
    !!b &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}
