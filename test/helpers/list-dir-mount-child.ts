// Mounts and links inside a tree that a walk reads: meant to be started in a private mount
// namespace (never mounts in the caller's). Usage: list-dir-mount-child.js <empty temp dir>.
// Prints one JSON line: what the addon's reader and a whole walk said about a file system
// mounted inside the tree after the walk read the mount table, and about a link below the
// walk's root.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Aggregator } from '../../src/diff/aggregate.js';
import { childrenOf } from '../../src/diff/file-nodes.js';
import { directoryReader } from '../../src/diff/read-directory.js';
import { buildPruning } from '../../src/diff/scan.js';
import type { DiffNode } from '../../src/diff/types.js';
import { Walk } from '../../src/diff/walk.js';
import { loadBinding, type MountBinding } from '../../src/system/binding.js';
import { readMountInfo } from '../../src/system/mountinfo.js';
import { emit } from './ns-run.js';

const base = process.argv[2]!;
const b = loadBinding().binding as Required<MountBinding>;
const mountTmpfs = (at: string) => execFileSync('mount', ['-n', '-t', 'tmpfs', 'foreign', at]);
const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'read';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
};
const names = (n: DiffNode): string[] => [n.path, ...childrenOf(n).flatMap(names)];

const root = path.join(base, 'root');
fs.mkdirSync(path.join(root, 'a/b/m'), { recursive: true });
fs.mkdirSync(path.join(root, 'real/sub'), { recursive: true });
fs.symlinkSync('real', path.join(root, 'link'));
fs.writeFileSync(path.join(root, 'a/b/own'), 'x');
// The table as a walk reads it, before anything is mounted inside the tree.
const before = readMountInfo();
mountTmpfs(path.join(root, 'a/b/m'));
fs.mkdirSync(path.join(root, 'a/b/m/deep'));
fs.writeFileSync(path.join(root, 'a/b/m/foreign-marker'), 'y'.repeat(100));
fs.writeFileSync(path.join(root, 'a/b/m/deep/foreign-marker'), 'y');

const below = Buffer.byteLength(root);
const m = path.join(root, 'a/b/m');
const reader = {
  // Without a root, only the last component is checked: the mount is read.
  named: codeOf(() => b.listDir(m)),
  belowRoot: codeOf(() => b.listDir(m, undefined, below)),
  deeperBelowRoot: codeOf(() => b.listDir(path.join(m, 'deep'), undefined, below)),
  theParent: codeOf(() => b.listDir(path.join(root, 'a/b'), undefined, below)),
  linkBelowRoot: codeOf(() => b.listDir(path.join(root, 'link/sub'), undefined, below)),
  realBelowRoot: codeOf(() => b.listDir(path.join(root, 'real/sub'), undefined, below)),
  // A walk's root that is itself a mount point is read, and so is what lies in it.
  asRoot: codeOf(() => b.listDir(path.join(m, 'deep'), undefined, Buffer.byteLength(m))),
  readAhead: (() => {
    const first = b.readAhead([m], below);
    const code = codeOf(() => b.listDir(m, first, below));
    b.readAheadEnd();
    return code;
  })(),
};

// A whole walk with the table from before the mount: it enters a/b/m as a directory of its
// own file system, and the reader refuses it.
const { read, ahead } = directoryReader();
const walk = new Walk(new Aggregator({ depth: 9, bootMs: 0 }), {
  read,
  ...(ahead ? { ahead } : {}),
  root,
  pruning: buildPruning(root, [], [], before),
  rules: [],
  showIgnored: false,
});
const node = walk.run(root);
emit({
  reader,
  walk: {
    paths: names(node),
    files: node.files,
    bytes: node.bytes,
    errors: walk.result.errors,
    readAhead: ahead !== undefined,
  },
});
