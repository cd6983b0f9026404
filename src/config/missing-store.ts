// A configuration file that does not exist because the file system holding it is not mounted:
// at boot the configuration usually lives in the store (a volatile root has an empty /etc), so
// a missing store shows up first as a missing configuration. Saying "create it" there would
// send the reader the wrong way; this says which directory has nothing mounted on it.

import * as fs from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readMountInfo } from '../system/mountinfo.js';

/** File systems that vanish with the boot: a path missing there was never made this boot. */
const VOLATILE = new Set(['tmpfs', 'ramfs']);

/**
 * Why `file` is missing when it lies on a store that is not mounted, or undefined when
 * nothing points that way. Two shapes: the deepest existing directory above it is empty and no
 * mount point (an unmounted store's mount point), or a directory right below a volatile root's
 * mount point does not exist at all.
 */
export function unmountedStore(file: string): string | undefined {
  let dir = dirname(resolve(file));
  let child: string | undefined;
  for (;;) {
    const st = lstatOrNull(dir);
    if (st) {
      if (!st.isDirectory()) return undefined;
      break;
    }
    if (dir === '/') return undefined;
    child = dir;
    dir = dirname(dir);
  }
  let mounts: ReturnType<typeof readMountInfo>;
  try {
    mounts = readMountInfo();
  } catch {
    return undefined;
  }
  const top = mounts.findLast((m) => m.mountPoint === dir);
  if (!top) {
    let empty = false;
    try {
      empty = fs.readdirSync(dir).length === 0;
    } catch {
      return undefined;
    }
    return empty ? `${dir} is empty and nothing is mounted there` : undefined;
  }
  if (child !== undefined && VOLATILE.has(top.fsType))
    return `${child} does not exist on the ${top.fsType} mounted at ${dir}`;
  return undefined;
}

function lstatOrNull(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path);
  } catch {
    return undefined;
  }
}
