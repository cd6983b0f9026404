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

/** The fields of one step, as the addon reads them (see native/steps.c); null when a value
 *  cannot be passed there (a NUL byte), so that step stays on the JavaScript path. */
function fields(s: NativeStep): string[] | null {
  let f: (string | number)[];
  switch (s.op) {
    case 'mkdir':
      f = ['d', s.path, s.uid, s.gid, s.mode];
      break;
    case 'create-file':
      f = ['f', s.path, s.content, s.uid, s.gid, s.mode];
      break;
    case 'symlink':
      f = ['l', s.path, s.to, s.uid, s.gid];
      break;
    case 'bind':
      f = ['b', s.source, s.target, s.kind === 'directory' ? 'd' : 'f'];
      break;
  }
  const out = f.map(String);
  return out.some((v) => v.includes('\0')) ? null : out;
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
      const parts: string[] = [];
      let usable = 0;
      for (const s of steps) {
        const f = fields(s);
        if (!f) break;
        parts.push(...f);
        usable++;
      }
      if (usable === 0) return 0;
      if (stale) {
        b.resetSteps();
        stale = false;
      }
      const done = b.runSteps(Buffer.from(`${parts.join('\0')}\0`), euid, egid, processUmask());
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
