// What stands at a list of paths under a root, for `keepsake init`: one lstat each, never
// following a link, never changing anything.

import * as fs from 'node:fs';
import type { Found } from '../init/render.js';
import { kindOf } from '../system/file-kind.js';

export function probePaths(root: string, paths: readonly string[]): Map<string, Found> {
  const found = new Map<string, Found>();
  const base = root === '/' ? '' : root;
  for (const p of paths) {
    const st = fs.lstatSync(`${base}${p}`, { throwIfNoEntry: false });
    if (!st) continue;
    const type = kindOf(st);
    found.set(p, { type, uid: st.uid, gid: st.gid, mode: st.mode });
  }
  return found;
}
