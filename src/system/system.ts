// The one small layer that changes the system. Everything the executor does goes through a
// `SystemOps`: the live one acts through verified file descriptors (see safe-fs.ts), the
// recording one only writes down what it would have done (dry runs, tests of the executor).

import * as fs from 'node:fs';
import { TargetChangedError, UnsafePathError } from '../errors.js';
import { hooks, stepCounter } from '../hooks.js';
import { LOCK_EX, loadBinding } from './binding.js';
import type { FileContent } from './file-content.js';
import { loadMountBackend, type MountBackend } from './mount-backend.js';
import { beginMove, finishMove, type MoveSpec } from './move.js';
import { openSourceDir } from './move-reveal.js';
import { undoMove } from './move-undo.js';
import { type NativeStep, type NativeSteps, nativeSteps } from './native-steps.js';
import {
  chmodSafe,
  chownSafe,
  createFileSafe,
  forgetVerified,
  lstatOrNull,
  mkdirSafe,
  symlinkSafe,
  withVerifiedDirCache,
  withVerifiedPath,
  writeFileAtomicSafe,
} from './safe-fs.js';
import { addUtabEntries, removeUtabEntries } from './utab.js';

export interface SystemOps {
  readonly live: boolean;
  mkdir(path: string, uid: number, gid: number, mode: number): void;
  createFile(path: string, content: string, uid: number, gid: number, mode: number): void;
  chown(path: string, uid: number, gid: number): void;
  chmod(path: string, mode: number): void;
  symlink(path: string, to: string, uid: number, gid: number): void;
  /**
   * Bind `source` onto `target`; both are checked to be exactly those paths, links refused.
   * A directory below must be empty (checked again after the bind: see there), unless
   * `overMove`: then it holds the source of a move into the store, settled after the bind.
   */
  bind(source: string, target: string, kind: 'directory' | 'file', overMove?: boolean): void;
  setPropagation(target: string, type: 'slave'): void;
  /** Add lines to libmount's utab and drop the lines of `remove` targets, under its lock. */
  updateUtab(utabPath: string, add: Record<string, string>[], remove: string[]): void;
  /** Begin moving data in the way (see move.ts); a backup's parents are made (root, 0700). */
  moveData(move: MoveSpec): void;
  /** Settle what is left at a move's source; returns what was kept beside the store's copy. */
  finishMove(move: MoveSpec): string[] | undefined;
  /** Take back a begun move whose source is still whole; returns what was kept beside it. */
  undoMove(move: MoveSpec): string[] | undefined;
  /** Remove a symlink, only if it still reads `to`. */
  removeLink(path: string, to: string): void;
  /** Remove a mount point keepsake made, only if it is still empty; otherwise keep it. */
  removeIfEmpty(path: string, type: 'directory' | 'file'): void;
  /** Undo helpers: remove what keepsake itself created moments ago. */
  removeDir(path: string): void;
  removeFile(path: string): void;
  /** Unmount; `detach` only to undo (a plain unmount fails while anything is mounted inside). */
  unmount(target: string, detach: boolean): void;
  /** Write `dir/name` atomically, creating `dir` and missing parents (root, 0700). */
  writeRecord(dir: string, name: string, content: FileContent): void;
  /** Run a batch of operations that may share verified directory descriptors. */
  batch<T>(fn: () => T): T;
  /**
   * Where the native addon has it: carries out common steps in one call, in order, until one
   * fails (which leaves nothing of itself); returns how many were done. The caller runs the
   * step that stopped it again through the calls above, which explain a failure.
   */
  runSteps?(steps: readonly NativeStep[]): number;
}

export function createLiveSystem(
  backend: MountBackend,
  lock: ((fd: number) => void) | null,
  steps: NativeSteps | null = null,
): SystemOps {
  const ops = createLiveOps(backend, lock);
  return steps ? withNativeSteps(ops, steps) : ops;
}

/**
 * Adds runSteps. The addon keeps directories open between its calls, as safe-fs.ts does:
 * any other operation may change what they mean (a mount, a removal), so each one makes the
 * addon reach them again; the end of a batch closes them.
 */
function withNativeSteps(ops: SystemOps, steps: NativeSteps): SystemOps {
  const stopBeforeRun = stepCounter('native-steps');
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ops)) {
    wrapped[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            steps.invalidate();
            return value(...args);
          }
        : value;
  }
  return {
    ...(wrapped as unknown as SystemOps),
    batch: <T>(fn: () => T): T =>
      ops.batch(() => {
        try {
          return fn();
        } finally {
          steps.close();
        }
      }),
    runSteps: (list) => {
      stopBeforeRun(); // tests: a stop before a run of native steps
      return steps.run(list);
    },
  };
}

function createLiveOps(backend: MountBackend, lock: ((fd: number) => void) | null): SystemOps {
  const stopBeforeBind = stepCounter('bind'); // tests: a stop before a bind
  const inParent = (path: string, fn: (at: string) => void) => {
    const i = path.lastIndexOf('/');
    withVerifiedPath(path.slice(0, i) || '/', 'directory', (dir) =>
      fn(`${dir}/${path.slice(i + 1)}`),
    );
  };
  return {
    live: true,
    mkdir: mkdirSafe,
    createFile: createFileSafe,
    chown: chownSafe,
    chmod: chmodSafe,
    symlink: symlinkSafe,
    bind(source, target, kind, overMove = false) {
      stopBeforeBind();
      let hidden: string[] = [];
      withVerifiedPath(source, kind, (src) =>
        withVerifiedPath(target, kind, (tgt) => {
          backend.bind(src, tgt);
          // Invariant: a bind hides nothing. The plan saw the mount point empty; what a
          // program wrote there since (or while keepsake made it) would now be hidden under
          // the mount. `tgt` is the descriptor taken before the bind, so it still shows the
          // directory below: anything there, and the bind is taken down again.
          // A move's source stays below until its finish settles it, through a descriptor
          // opened before the bind (move-reveal.ts): that is the one bind over data.
          if (kind === 'directory' && !overMove) hidden = fs.readdirSync(tgt);
        }),
      );
      forgetVerified(target); // the path now shows the mounted tree, not the directory below
      if (hidden.length > 0) {
        // Detached, so that it cannot fail as busy: a bind mount holds no data of its own.
        inParent(target, (at) => backend.unmount(at, { detach: true }));
        throw new TargetChangedError(
          `data appeared in '${target}' after it was checked (${listed(hidden)}): nothing was mounted over it, and it is where it was`,
          'something writes there before keepsake puts the entry in place: stop it, or let it start after keepsake (After=keepsake.service), then move the data into the store or apply with --adopt',
        );
      }
    },
    setPropagation: (target, type) =>
      withVerifiedPath(target, 'any', (at) => backend.setPropagation(at, type)),
    updateUtab(utabPath, add, remove) {
      if (remove.length > 0) removeUtabEntries(utabPath, remove, lock);
      if (add.length > 0) addUtabEntries(utabPath, add, lock);
    },
    moveData(move) {
      if (move.how === 'backup') ensureDirs(move.to.slice(0, move.to.lastIndexOf('/')));
      beginMove(move);
    },
    finishMove: (move) => finishMove(move, () => openSourceDir(backend, move)),
    undoMove,
    removeLink: (path, to) =>
      inParent(path, (at) => {
        const st = fs.lstatSync(at);
        if (!st.isSymbolicLink() || fs.readlinkSync(at) !== to) {
          throw new UnsafePathError(
            path,
            `${path} is no longer keepsake's link to ${to}; left alone`,
          );
        }
        fs.unlinkSync(at);
      }),
    removeIfEmpty: (path, type) =>
      inParent(path, (at) => {
        forgetVerified(path);
        const st = fs.lstatSync(at, { throwIfNoEntry: false });
        if (!st) return;
        if (type === 'directory' && st.isDirectory()) {
          try {
            fs.rmdirSync(at);
          } catch (e) {
            // Something was put there in the meantime: it stays.
            if ((e as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw e;
          }
        } else if (type === 'file' && st.isFile() && st.size === 0) {
          fs.unlinkSync(at);
        }
      }),
    removeDir: (path) => {
      forgetVerified(path);
      inParent(path, (at) => fs.rmdirSync(at));
    },
    removeFile: (path) => inParent(path, (at) => fs.unlinkSync(at)),
    unmount: (target, detach) => {
      forgetVerified(target);
      // Through the verified parent: a descriptor on the mount itself would keep it busy.
      inParent(target, (at) => {
        if (fs.lstatSync(at).isSymbolicLink()) {
          throw new UnsafePathError(
            target,
            `${target} is a symbolic link now; keepsake does not follow it`,
          );
        }
        backend.unmount(at, { detach });
      });
    },
    batch: withVerifiedDirCache,
    writeRecord(dir, name, content) {
      ensureDirs(dir);
      writeFileAtomicSafe(`${dir}/${name}`, content, 0o644);
    },
  };
}

/** Create `dir` and its missing parents, root's and private: keepsake's own bookkeeping. */
function ensureDirs(dir: string) {
  const missing: string[] = [];
  for (let d = dir; !lstatOrNull(d); d = d.slice(0, d.lastIndexOf('/'))) missing.unshift(d);
  for (const d of missing) mkdirSafe(d, 0, 0, 0o700);
}

/** The live system with the best mount backend there is; `notice` says why when it is not the
 *  addon. utab is written under libmount's lock when the addon (flock) is there. */
export function openLiveSystem(): { sys: SystemOps; notice?: string; backend: string } {
  const { backend, notice } = loadMountBackend();
  const { binding } = loadBinding();
  const sys = createLiveSystem(
    backend,
    binding ? (fd) => binding.flock(fd, LOCK_EX) : null,
    // Only where binds go through the addon too: the mount(8) backend stays what it says.
    backend.name === 'native' && hooks().steps !== 'js' ? nativeSteps(binding) : null,
  );
  return { sys, backend: backend.name, ...(notice ? { notice } : {}) };
}

export interface RecordedCall {
  op: keyof Omit<SystemOps, 'live' | 'batch'>;
  args: unknown[];
}

/** Acts on nothing; remembers every call in order. */
export function createRecordingSystem(): SystemOps & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const rec =
    (op: RecordedCall['op']) =>
    (...args: unknown[]) => {
      calls.push({ op, args });
    };
  return {
    live: false,
    calls,
    mkdir: rec('mkdir'),
    createFile: rec('createFile'),
    chown: rec('chown'),
    chmod: rec('chmod'),
    symlink: rec('symlink'),
    bind: rec('bind'),
    setPropagation: rec('setPropagation'),
    updateUtab: rec('updateUtab'),
    removeLink: rec('removeLink'),
    moveData: rec('moveData'),
    finishMove: (...args) => {
      calls.push({ op: 'finishMove', args });
      return undefined;
    },
    undoMove: (...args) => {
      calls.push({ op: 'undoMove', args });
      return undefined;
    },
    removeIfEmpty: rec('removeIfEmpty'),
    removeDir: rec('removeDir'),
    removeFile: rec('removeFile'),
    unmount: rec('unmount'),
    writeRecord: rec('writeRecord'),
    batch: (fn) => fn(),
  };
}

/** A few names of a directory's entries, for a message. */
function listed(names: string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
