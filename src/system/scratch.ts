// A throw-away sandbox (the demo's): a directory of its own under the temporary directory,
// the files written in it as the programs of the sandboxed system would write them, and its
// removal. Programs follow links, so the path written is resolved by the caller as such a
// program would see it; what this module guarantees is where writes land: inside the
// sandbox, never outside it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isWithin } from '../core/paths.js';
import { UnsafePathError } from '../errors.js';
import { removeTreeSafe } from './remove-tree.js';

/** A new directory of its own (mkdtemp: 0700, a name nothing else has), with `subdirs` in it. */
export function makeScratchDir(prefix: string, subdirs: readonly string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const d of subdirs) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
  return dir;
}

/** The directories on the way to `target` and `target` itself, inside the sandbox (as below). */
export function makeScratchSubdir(scratch: string, target: string): void {
  inside(scratch, target);
  fs.mkdirSync(target, { recursive: true });
  inside(scratch, target, fs.realpathSync(target));
}

function inside(scratch: string, target: string, real?: string): void {
  if (real === undefined && (!isWithin(target, scratch) || target === scratch))
    throw new UnsafePathError(target, `'${target}' is outside the sandbox ${scratch}`);
  if (real !== undefined && !isWithin(real, fs.realpathSync(scratch)))
    throw new UnsafePathError(target, `'${target}' leads outside the sandbox ${scratch}`);
}

/**
 * Writes `target` (a real path, no link on it) in the sandbox `scratch`, its missing parent
 * directories made first. Invariant: the directory written in is inside the sandbox once
 * every link is resolved; anything else is refused before the file is written.
 */
export function writeScratchFile(scratch: string, target: string, content: string): void {
  inside(scratch, target);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  inside(scratch, target, fs.realpathSync(path.dirname(target)));
  fs.writeFileSync(target, content);
}

/**
 * Deletes the sandbox. Invariant: it is this process's own (makeScratchDir), holding only
 * what the sandbox wrote; its namespaces, and the mounts they held, are gone by then, and a
 * mount still inside it is refused, never crossed (removeTreeSafe).
 */
export function removeScratchDir(dir: string): void {
  removeTreeSafe(dir);
}
