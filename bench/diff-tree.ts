// The tree the diff benchmark scans: exactly `entries` files and directories under a root,
// 500 top directories of 10 subdirectories each, files spread over the subdirectories; 800 of
// the subdirectories (empty mount points) and 200 of the files are declared in the
// configuration. One file in eight holds data (1 to 1000 bytes), the others are empty.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const TREE = { entries: 500_000, top: 500, sub: 10, declaredDirs: 800, declaredFiles: 200 };

export interface DiffTree {
  config: string;
  /** What the scan must find: files and bytes outside the declared paths. */
  undeclaredFiles: number;
  undeclaredBytes: number;
  /** Files and directories in the tree (the root not counted). */
  entries: number;
  declaredDirs: string[];
  declaredFiles: string[];
}

const sizeOf = (n: number) => (n % 8 === 0 ? 1 + (n % 1000) : 0);

/** Writes the tree under `root` (which must be empty) and returns its configuration. */
export function writeDiffTree(root: string): DiffTree {
  const subdirs: string[] = [];
  const declaredDirs: string[] = [];
  let entries = 0;
  fs.mkdirSync(path.join(root, 'etc'));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  fs.mkdirSync(path.join(root, 'persist'));
  entries += 4;
  for (let t = 0; t < TREE.top; t++) {
    fs.mkdirSync(path.join(root, `d${t}`));
    entries++;
    for (let s = 0; s < TREE.sub; s++) {
      const sys = `/d${t}/s${s}`;
      fs.mkdirSync(root + sys);
      entries++;
      if ((t * TREE.sub + s) % 25 < 4) declaredDirs.push(sys);
      else subdirs.push(sys);
    }
  }
  const files = TREE.entries - entries;
  const declaredFiles: string[] = [];
  const every = Math.floor(subdirs.length / TREE.declaredFiles);
  let undeclaredFiles = 0;
  let undeclaredBytes = 0;
  for (let n = 0; n < files; n++) {
    const dir = subdirs[n % subdirs.length]!;
    const index = Math.floor(n / subdirs.length);
    const sys = `${dir}/f${index}`;
    const d = n % subdirs.length;
    // Declared files are empty: their stored copy is bound over them.
    const declared = index === 0 && d % every === 0 && declaredFiles.length < TREE.declaredFiles;
    const size = declared ? 0 : sizeOf(n);
    fs.writeFileSync(root + sys, size > 0 ? Buffer.alloc(size, 120) : '');
    if (declared) {
      declaredFiles.push(sys);
    } else {
      undeclaredFiles++;
      undeclaredBytes += size;
    }
  }
  entries += files;
  const list = (xs: string[]) => xs.map((x) => `      - ${x}\n`).join('');
  const config = `persistence:\n  /persist:\n    directories:\n${list(declaredDirs)}    files:\n${list(declaredFiles)}`;
  // etc/passwd and etc/group are undeclared too.
  return {
    config,
    undeclaredFiles: undeclaredFiles + 2,
    undeclaredBytes: undeclaredBytes + 26 + 10,
    entries,
    declaredDirs,
    declaredFiles,
  };
}
