// Everything observable about a tree, one line a path (links not followed): name, mode (type
// included), owner, and a file's content or a link's target. Two snapshots are equal when
// nothing in the tree changed that a user could see.

import * as fs from 'node:fs';
import * as path from 'node:path';

export function treeLines(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      const body = st.isFile()
        ? fs.readFileSync(p, 'utf8')
        : st.isSymbolicLink()
          ? `-> ${fs.readlinkSync(p)}`
          : '';
      const line = `${prefix}${name} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${body}`;
      return st.isDirectory() ? [line, ...treeLines(p, `${prefix}${name}/`)] : [line];
    });
}
