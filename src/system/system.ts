// The one small layer that changes the system. Everything the executor does goes through a
// `SystemOps`: the live one acts through verified file descriptors (see safe-fs.ts), the
// recording one only writes down what it would have done (dry runs, tests of the executor).

import * as fs from 'node:fs';
import { addUtabEntries } from '../observe/utab.js';
import type { MountBackend } from './mount-backend.js';
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

export interface SystemOps {
  readonly live: boolean;
  mkdir(path: string, uid: number, gid: number, mode: number): void;
  createFile(path: string, content: string, uid: number, gid: number, mode: number): void;
  chown(path: string, uid: number, gid: number): void;
  chmod(path: string, mode: number): void;
  symlink(path: string, to: string, uid: number, gid: number): void;
  /** Bind `source` onto `target`; both are checked to be exactly those paths, links refused. */
  bind(source: string, target: string, kind: 'directory' | 'file'): void;
  setPropagation(target: string, type: 'slave'): void;
  addUtab(utabPath: string, lines: Record<string, string>[]): void;
  /** Undo helpers: remove what keepsake itself created moments ago. */
  removeDir(path: string): void;
  removeFile(path: string): void;
  unmount(target: string): void;
  /** Write `dir/name` atomically, creating `dir` (root, 0700) when missing. */
  writeRecord(dir: string, name: string, content: string): void;
  /** Run a batch of operations that may share verified directory descriptors. */
  batch<T>(fn: () => T): T;
}

export function createLiveSystem(
  backend: MountBackend,
  lock: ((fd: number) => void) | null,
): SystemOps {
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
    bind(source, target, kind) {
      withVerifiedPath(source, kind, (src) =>
        withVerifiedPath(target, kind, (tgt) => backend.bind(src, tgt)),
      );
      forgetVerified(target); // the path now shows the mounted tree, not the directory below
    },
    setPropagation: (target, type) => backend.setPropagation(target, type),
    addUtab: (utabPath, lines) => addUtabEntries(utabPath, lines, lock),
    removeDir: (path) => {
      forgetVerified(path);
      inParent(path, (at) => fs.rmdirSync(at));
    },
    removeFile: (path) => inParent(path, (at) => fs.unlinkSync(at)),
    unmount: (target) => {
      forgetVerified(target);
      backend.unmount(target, { detach: true });
    },
    batch: withVerifiedDirCache,
    writeRecord(dir, name, content) {
      if (!lstatOrNull(dir)) mkdirSafe(dir, 0, 0, 0o700);
      writeFileAtomicSafe(`${dir}/${name}`, content, 0o644);
    },
  };
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
    addUtab: rec('addUtab'),
    removeDir: rec('removeDir'),
    removeFile: rec('removeFile'),
    unmount: rec('unmount'),
    writeRecord: rec('writeRecord'),
    batch: (fn) => fn(),
  };
}
