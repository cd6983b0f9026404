// Resolve a path as a process chrooted at `root` would: absolute links are taken relative to
// `root`. Lets the demo (and tests) write through the links keepsake makes under `--root`.

import * as fs from 'node:fs';

export function resolveInRoot(root: string, path: string): string {
  const parts = path.split('/').filter(Boolean);
  let at = '';
  for (let i = 0, hops = 0; i < parts.length; i++) {
    const next = `${at}/${parts[i]}`;
    let link: string | undefined;
    try {
      if (fs.lstatSync(root + next).isSymbolicLink()) link = fs.readlinkSync(root + next);
    } catch {
      // missing: the rest is created as written
    }
    if (link === undefined || ++hops > 40) {
      at = next;
      continue;
    }
    const rest = parts.slice(i + 1);
    const base = link.startsWith('/') ? [] : at.split('/').filter(Boolean);
    parts.splice(0, parts.length, ...base, ...link.split('/').filter(Boolean), ...rest);
    at = '';
    i = -1;
  }
  return root + at;
}
