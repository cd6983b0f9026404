// A file system mounted inside a tree while keepsake walks it (after the walk read the mount
// table) is refused by the directory reader, not entered: `keepsake diff` and salvage never
// count or copy another file system's files as the tree's. In a private mount namespace.

import assert from 'node:assert/strict';
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
        asRoot: 'read',
        readAhead: 'EXDEV',
      });
      const m = `${base}/root/a/b/m`;
      assert.ok(!out.walk.paths.some((p) => p.includes('foreign')), out.walk.paths.join('\n'));
      assert.equal(out.walk.files, 1, 'only a/b/own');
      assert.equal(out.walk.bytes, 1);
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
});
