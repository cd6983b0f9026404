// One behaviour suite for the native and exec mount backends, each scenario run in a private
// mount namespace; plus the recording backend and backend selection.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SystemError, UsageError } from '../../src/errors.js';
import { readHooks } from '../../src/hooks.js';
import { loadBinding } from '../../src/system/binding.js';
import { createRecordingBackend, loadMountBackend } from '../../src/system/mount-backend.js';
import { readMountInfo } from '../../src/system/mountinfo.js';
import {
  namespaceProblem,
  readChildJson,
  runInNamespace,
  skipUnlessCI,
} from '../helpers/ns-run.js';

const child = fileURLToPath(new URL('../helpers/backend-child.js', import.meta.url));

interface ChildError {
  name: string;
  message: string;
  errno: string;
  syscall: string;
  path: string;
  hint?: string;
}

// Under CI a missing capability is not skipped: each test fails with the reason.
function scenario<T>(backend: string, name: string, problem: string | null): T {
  if (problem) throw new Error(problem);
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-backend-')));
  try {
    const out = readChildJson<{ ok: boolean; data?: T; error?: string }>(
      runInNamespace(child, [backend, name, base]),
    );
    assert.ok(out.ok, `scenario ${name} failed in the child:\n${out.error}`);
    // Nothing may leak into this namespace.
    assert.deepEqual(
      readMountInfo().filter((m) => m.mountPoint.startsWith(base)),
      [],
      'a mount leaked out of the namespace',
    );
    return out.data as T;
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

const nsProblem = namespaceProblem();
const addon = loadBinding();

for (const backend of ['native', 'exec'] as const) {
  const problem =
    nsProblem ?? (backend === 'native' && !addon.binding ? `native addon: ${addon.reason}` : null);

  describe(`${backend} mount backend`, { skip: skipUnlessCI(problem) }, () => {
    it('binds a directory without carrying its submounts', () => {
      const r = scenario<Record<string, unknown>>(backend, 'bind-dir', problem);
      assert.equal(r.hello, 'hi');
      assert.equal(r.mounted, true);
      assert.equal(r.sameOrigin, true);
      assert.equal(r.submountCarried, false);
      assert.deepEqual(r.subEntries, []);
    });

    it('binds a file onto a file', () => {
      const r = scenario<Record<string, unknown>>(backend, 'bind-file', problem);
      assert.equal(r.mounted, true);
      assert.equal(r.source, 'content+more');
    });

    it('binds through /proc/self/fd paths, pinned to the opened objects', () => {
      const r = scenario<{ mounted: boolean; entries: string[] }>(backend, 'bind-fd', problem);
      assert.equal(r.mounted, true);
      assert.deepEqual(r.entries, ['hello']);
    });

    it('sets propagation shared, slave and private', () => {
      const r = scenario<Record<string, string[]>>(backend, 'propagation', problem);
      assert.match(r.shared!.join(' '), /^shared:\d+$/);
      assert.match(r.slave!.join(' '), /^master:\d+$/);
      assert.deepEqual(r.private, []);
    });

    it('unmounts, reports a busy mount, and detaches lazily', () => {
      const r = scenario<{ afterPlain: boolean; busyError: ChildError; afterDetach: boolean }>(
        backend,
        'unmount',
        problem,
      );
      assert.equal(r.afterPlain, false);
      assert.equal(r.busyError?.name, 'SystemError');
      assert.equal(r.busyError.errno, 'EBUSY');
      assert.match(r.busyError.hint ?? '', /detach/);
      assert.equal(r.afterDetach, false);
    });

    it('refuses to unmount through a symlink', () => {
      const r = scenario<{ error: ChildError; stillMounted: boolean }>(
        backend,
        'unmount-symlink',
        problem,
      );
      assert.equal(r.error?.name, 'SystemError');
      assert.equal(r.stillMounted, true);
    });

    it('names both paths when the target is missing', () => {
      const { error } = scenario<{ error: ChildError }>(backend, 'missing-target', problem);
      assert.equal(error?.name, 'SystemError');
      assert.equal(error.errno, 'ENOENT');
      assert.match(error.message, /\/src'.*\/missing'/);
      assert.equal(error.hint, 'the source or target does not exist');
      assert.ok(error.path.endsWith('/missing'));
    });
  });
}

describe('recording mount backend', () => {
  it('records each call and touches nothing', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-rec-'));
    after(() => fs.rmSync(base, { recursive: true, force: true }));
    fs.mkdirSync(path.join(base, 'src'));
    fs.writeFileSync(path.join(base, 'src/hello'), 'hi');
    fs.mkdirSync(path.join(base, 'tgt'));
    const b = createRecordingBackend();
    b.bind(`${base}/src`, `${base}/tgt`);
    b.setPropagation(`${base}/tgt`, 'slave');
    b.unmount(`${base}/tgt`, { detach: true });
    b.unmount(`${base}/tgt`);
    assert.equal(b.name, 'recording');
    assert.deepEqual(b.calls, [
      { op: 'bind', args: [`${base}/src`, `${base}/tgt`] },
      { op: 'setPropagation', args: [`${base}/tgt`, 'slave'] },
      { op: 'unmount', args: [`${base}/tgt`, 'detach'] },
      { op: 'unmount', args: [`${base}/tgt`] },
    ]);
    assert.deepEqual(fs.readdirSync(path.join(base, 'tgt')), []);
    assert.equal(readMountInfo().filter((m) => m.mountPoint.startsWith(base)).length, 0);
  });
});

describe('loadMountBackend', () => {
  it('picks native when the addon loads, exec with a notice otherwise', () => {
    const { backend, notice } = loadMountBackend(readHooks({}).mountBackend);
    if (addon.binding) {
      assert.equal(backend.name, 'native');
      assert.equal(notice, undefined);
    } else {
      assert.equal(backend.name, 'exec');
      assert.match(notice ?? '', /mount\(8\)/);
    }
  });

  it('honours KEEPSAKE_MOUNT_BACKEND', () => {
    assert.equal(
      loadMountBackend(readHooks({ KEEPSAKE_MOUNT_BACKEND: 'exec' }).mountBackend).backend.name,
      'exec',
    );
    const native = readHooks({ KEEPSAKE_MOUNT_BACKEND: 'native' }).mountBackend;
    if (addon.binding) assert.equal(loadMountBackend(native).backend.name, 'native');
    else assert.throws(() => loadMountBackend(native), SystemError);
    assert.throws(() => loadMountBackend('ffi'), UsageError);
  });
});
