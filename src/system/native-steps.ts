// The executor's common steps (make a directory, create a file, make a link, bind-mount) in
// one call of the native addon (native/steps.c) instead of a round trip into JavaScript for
// every system call: the first apply of a large configuration is mostly these steps.
//
// The addon makes the same checks as safe-fs.ts (stricter: it reaches every path one
// component at a time with O_PATH|O_NOFOLLOW) and leaves nothing of a step that failed.
// It only says how many steps it carried out: the caller runs the step that stopped it again
// on the JavaScript path, which reports the error in full, so there is one place that
// explains a failure.

import type { MountBinding } from './binding.js';
import { forgetVerified, processUmask } from './safe-fs.js';

export type NativeStep =
  | { op: 'mkdir'; path: string; uid: number; gid: number; mode: number }
  | { op: 'create-file'; path: string; content: string; uid: number; gid: number; mode: number }
  | { op: 'symlink'; path: string; to: string; uid: number; gid: number }
  | { op: 'bind'; source: string; target: string; kind: 'directory' | 'file' };

type StepsBinding = Required<Pick<MountBinding, 'runSteps' | 'resetSteps'>>;

/**
 * One step as the addon reads it (see native/steps.c): its fields, each ended by a NUL byte;
 * null when a value cannot be passed there (a NUL byte of its own), so that the step stays on
 * the JavaScript path. Made as one text, with no array of fields for each of thousands of
 * steps.
 */
function encoded(s: NativeStep): string | null {
  switch (s.op) {
    case 'mkdir':
      return s.path.includes('\0') ? null : `d\0${s.path}\0${s.uid}\0${s.gid}\0${s.mode}\0`;
    case 'create-file':
      return s.path.includes('\0') || s.content.includes('\0')
        ? null
        : `f\0${s.path}\0${s.content}\0${s.uid}\0${s.gid}\0${s.mode}\0`;
    case 'symlink':
      return s.path.includes('\0') || s.to.includes('\0')
        ? null
        : `l\0${s.path}\0${s.to}\0${s.uid}\0${s.gid}\0`;
    case 'bind':
      return s.source.includes('\0') || s.target.includes('\0')
        ? null
        : `b\0${s.source}\0${s.target}\0${s.kind === 'directory' ? 'd' : 'f'}\0`;
  }
}

export interface NativeSteps {
  /** Carries out steps in order until one fails or all are done; returns how many were. */
  run(steps: readonly NativeStep[]): number;
  /** Something else changed the tree: directories the addon keeps open may mean other
   *  things now, so they are closed (and reached again from the root when next needed). */
  invalidate(): void;
  /** The end of a batch: close what the addon keeps open. */
  close(): void;
}

export function nativeSteps(binding: MountBinding | null): NativeSteps | null {
  if (typeof binding?.runSteps !== 'function' || typeof binding.resetSteps !== 'function') {
    return null;
  }
  const b = binding as MountBinding & StepsBinding;
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  let stale = false;
  return {
    run(steps) {
      let text = '';
      let usable = 0;
      for (const s of steps) {
        const step = encoded(s);
        if (step === null) break;
        text += step;
        usable++;
      }
      if (usable === 0) return 0;
      if (stale) {
        b.resetSteps();
        stale = false;
      }
      const done = b.runSteps(Buffer.from(text), euid, egid, processUmask());
      // safe-fs.ts's own verified directories below a new mount mean other things now.
      for (let i = 0; i < done; i++) {
        const s = steps[i]!;
        if (s.op === 'bind') forgetVerified(s.target);
      }
      return done;
    },
    invalidate() {
      stale = true;
    },
    close() {
      b.resetSteps();
      stale = false;
    },
  };
}
