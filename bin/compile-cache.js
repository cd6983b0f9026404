// Where keepsake keeps Node's compiled code between runs (Node 22.1 and newer have
// module.enableCompileCache; Node 20 has not, and runs without). Compiled code read from a
// cache is run as it is: a directory someone else can write to would let them run code as root.
// So the cache lives only in a directory of the running user's own that nobody else may write
// to, checked without following links: for root, /run/keepsake (keepsake's own runtime directory,
// made 0700 here when /run is root's); for anyone else, none.

import * as fs from 'node:fs';

/** True when `dir` is a real directory of `uid` that no one else may write to. */
function ownAndPrivate(dir, uid) {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  return st?.isDirectory() === true && st.uid === uid && (st.mode & 0o022) === 0;
}

/** The cache directory for this process, or undefined when there is no safe one. */
export function compileCacheDir(run = '/run', uid = process.geteuid?.()) {
  if (uid !== 0 || !ownAndPrivate(run, 0)) return undefined;
  const own = `${run}/keepsake`;
  try {
    fs.mkdirSync(own, 0o700);
  } catch (e) {
    if (e?.code !== 'EEXIST') return undefined;
  }
  return ownAndPrivate(own, 0) ? `${own}/compile-cache` : undefined;
}

/** Turn the cache on where Node has it and a safe directory exists; never fails a run. */
export function enableCompileCache(nodeModule, run = '/run') {
  if (typeof nodeModule.enableCompileCache !== 'function') return undefined;
  try {
    const dir = compileCacheDir(run);
    if (dir !== undefined) nodeModule.enableCompileCache(dir);
    return dir;
  } catch {
    // A cache that cannot be kept only costs time.
    return undefined;
  }
}
