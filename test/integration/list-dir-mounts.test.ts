// A file system mounted inside a tree while keepsake walks it (after the walk read the mount
// table) is refused by the directory reader, not entered: `keepsake diff` and salvage never
// count or copy another file system's files as the tree's. And where the kernel has no
// openat2 (refused here by a seccomp filter, as on kernels before 5.6), a link below the
// walk's root is still refused, one component at a time. In a private mount namespace.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBinding } from '../../src/system/binding.js';
import { readMountInfo } from '../../src/system/mountinfo.js';
import {
  namespaceProblem,
  readChildJson,
  runInNamespace,
  skipUnlessCI,
} from '../helpers/ns-run.js';

const child = fileURLToPath(new URL('../helpers/list-dir-mount-child.js', import.meta.url));
// The seccomp launcher's source, in the repository (test/helpers/no-openat2.c).
const launcherSource = fileURLToPath(
  new URL('../../../test/helpers/no-openat2.c', import.meta.url),
);
const noAddon = loadBinding().binding?.readAhead ? null : 'the native addon is not built';

interface Out {
  reader: Record<string, string>;
  walk: {
    paths: string[];
    files: number;
    bytes: number;
    errors: { path: string; reason: string }[];
    readAhead: boolean;
  };
}

describe('a mount made inside the tree during a walk', {
  skip: skipUnlessCI(namespaceProblem() ?? noAddon),
}, () => {
  it('is refused by the reader below the walk root, and the walk reports it', () => {
    const problem = namespaceProblem() ?? noAddon;
    if (problem) throw new Error(problem);
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-list-mounts-')));
    try {
      const out = readChildJson<Out>(runInNamespace(child, [base]));
      assert.deepEqual(out.reader, {
        named: 'read',
        belowRoot: 'EXDEV',
        deeperBelowRoot: 'EXDEV',
        theParent: 'read',
        linkBelowRoot: 'ELOOP',
        realBelowRoot: 'read',
        asRoot: 'read',
        readAhead: 'EXDEV',
      });
      const m = `${base}/root/a/b/m`;
      assert.ok(!out.walk.paths.some((p) => p.includes('foreign')), out.walk.paths.join('\n'));
      assert.equal(out.walk.files, 2, 'a/b/own, and the link itself');
      assert.equal(out.walk.bytes, 1 + 'real'.length);
      assert.deepEqual(
        out.walk.errors.map((e) => e.path),
        [m.slice(`${base}/root`.length)],
      );
      assert.match(out.walk.errors[0]!.reason, /EXDEV/);
      assert.equal(out.walk.readAhead, os.availableParallelism() > 1);
      // Nothing leaked into this namespace.
      assert.deepEqual(
        readMountInfo().filter((x) => x.mountPoint.startsWith(base)),
        [],
      );
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it('without openat2, links below the root are still refused, one component at a time', () => {
    const problem = namespaceProblem() ?? noAddon;
    if (problem) throw new Error(problem);
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-list-mounts-')));
    try {
      const launcher = path.join(base, 'no-openat2');
      const cc = spawnSync('cc', ['-O2', '-o', launcher, launcherSource], { encoding: 'utf8' });
      assert.equal(cc.status, 0, `cannot build the seccomp launcher: ${cc.error ?? cc.stderr}`);
      const tree = path.join(base, 'tree');
      fs.mkdirSync(tree);
      const r = spawnSync(
        'unshare',
        ['-m', '--propagation', 'private', launcher, process.execPath, child, tree],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const out = readChildJson<Out>({ status: r.status, stdout: r.stdout, stderr: r.stderr });
      assert.deepEqual(out.reader, {
        named: 'read',
        // A mount is not seen one component at a time: that the walk leaves out the mounts
        // it knows of is what holds here. That it is read shows openat2 was refused.
        belowRoot: 'read',
        deeperBelowRoot: 'read',
        theParent: 'read',
        // O_NOFOLLOW with O_DIRECTORY on a link: ENOTDIR (openat2 says ELOOP).
        linkBelowRoot: 'ENOTDIR',
        realBelowRoot: 'read',
        asRoot: 'read',
        readAhead: 'read',
      });
      // As a user, one component at a time needs no more than the path opened whole: a
      // directory on the way that may only be searched (0711) is passed.
      const open = path.join(base, 'searchable');
      fs.mkdirSync(path.join(open, 'root/only-x/inner'), { recursive: true });
      for (const [p, mode] of [
        [base, 0o755],
        [open, 0o755],
        [path.join(open, 'root/only-x'), 0o711],
      ] as const)
        fs.chmodSync(p, mode);
      const root = path.join(open, 'root');
      const addon = path.resolve(path.dirname(child), '../../../build/Release/keepsake_mount.node');
      const script = `const b = require(${JSON.stringify(addon)});
        const ab = b.listDir(${JSON.stringify(path.join(root, 'only-x/inner'))}, undefined, ${Buffer.byteLength(root)});
        process.stdout.write(String(new Uint32Array(ab, 0, 1)[0]));`;
      const user = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          launcher,
          process.execPath,
          '-e',
          script,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(user.status, 0, user.stderr);
      assert.equal(user.stdout, '0');
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
