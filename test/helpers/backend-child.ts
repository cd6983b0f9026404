// Runs one mount-backend scenario; meant to be started by runInNamespace (never mounts in the
// caller's namespace). Usage: backend-child.js <native|exec> <scenario> <empty temp dir>.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sourceOf, topMountAt } from '../../src/core/mount-table.js';
import { SystemError } from '../../src/errors.js';
import { loadBinding } from '../../src/system/binding.js';
import {
  createExecBackend,
  createNativeBackend,
  type MountBackend,
} from '../../src/system/mount-backend.js';
import { readMountInfo } from '../../src/system/mountinfo.js';
import { emit } from './ns-run.js';

const O_PATH = 0o10000000;

function dir(base: string, name: string, files: Record<string, string> = {}): string {
  const p = path.join(base, name);
  fs.mkdirSync(p);
  for (const [file, content] of Object.entries(files))
    fs.writeFileSync(path.join(p, file), content);
  return p;
}

const mountedAt = (p: string) => topMountAt(readMountInfo(), p);

function caught(fn: () => void): Record<string, unknown> | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (!(error instanceof SystemError)) throw error;
    const { name, message, errno, syscall, path, hint } = error;
    return { name, message, errno, syscall, path, hint };
  }
}

const scenarios: Record<string, (b: MountBackend, base: string) => unknown> = {
  'bind-dir': (b, base) => {
    const src = dir(base, 'src', { hello: 'hi' });
    const tgt = dir(base, 'tgt');
    const sub = dir(src, 'sub');
    const tmpfs = spawnSync('mount', ['-n', '-t', 'tmpfs', 'tmpfs', sub], { encoding: 'utf8' });
    if (tmpfs.status !== 0) throw new Error(`tmpfs: ${tmpfs.stderr}`);
    fs.writeFileSync(path.join(sub, 'inner'), 'x');
    b.bind(src, tgt);
    const mounts = readMountInfo();
    const top = topMountAt(mounts, tgt);
    const origin = sourceOf(mounts, src);
    return {
      hello: fs.readFileSync(path.join(tgt, 'hello'), 'utf8'),
      mounted: top !== undefined,
      sameOrigin: top?.device === origin?.device && top?.root === origin?.root,
      submountCarried: topMountAt(mounts, path.join(tgt, 'sub')) !== undefined,
      subEntries: fs.readdirSync(path.join(tgt, 'sub')),
    };
  },
  'bind-file': (b, base) => {
    const src = path.join(base, 'src.txt');
    const tgt = path.join(base, 'tgt.txt');
    fs.writeFileSync(src, 'content');
    fs.writeFileSync(tgt, '');
    b.bind(src, tgt);
    fs.appendFileSync(tgt, '+more');
    return {
      mounted: mountedAt(tgt) !== undefined,
      source: fs.readFileSync(src, 'utf8'),
    };
  },
  // The fds pin the objects: renaming the source and planting a decoy there changes nothing.
  'bind-fd': (b, base) => {
    const src = dir(base, 'src', { hello: 'hi' });
    const tgt = dir(base, 'tgt');
    const srcFd = fs.openSync(src, O_PATH | fs.constants.O_DIRECTORY);
    const tgtFd = fs.openSync(tgt, O_PATH | fs.constants.O_DIRECTORY);
    fs.renameSync(src, `${src}-moved`);
    dir(base, 'src', { decoy: '' });
    b.bind(`/proc/self/fd/${srcFd}`, `/proc/self/fd/${tgtFd}`);
    return { mounted: mountedAt(tgt) !== undefined, entries: fs.readdirSync(tgt) };
  },
  // A slave needs a master: give the shared mount a peer before demoting it.
  propagation: (b, base) => {
    const src = dir(base, 'src');
    const tgt = dir(base, 'tgt');
    const peer = dir(base, 'peer');
    b.bind(src, tgt);
    b.setPropagation(tgt, 'shared');
    const shared = mountedAt(tgt)?.propagation;
    b.bind(tgt, peer);
    b.setPropagation(tgt, 'slave');
    const slave = mountedAt(tgt)?.propagation;
    b.setPropagation(tgt, 'private');
    return { shared, slave, private: mountedAt(tgt)?.propagation };
  },
  unmount: (b, base) => {
    const src = dir(base, 'src', { hello: 'hi' });
    const tgt = dir(base, 'tgt');
    b.bind(src, tgt);
    b.unmount(tgt);
    const afterPlain = mountedAt(tgt) !== undefined;
    b.bind(src, tgt);
    const busy = fs.openSync(path.join(tgt, 'hello'), 'r');
    const busyError = caught(() => b.unmount(tgt));
    b.unmount(tgt, { detach: true });
    fs.closeSync(busy);
    return { afterPlain, busyError, afterDetach: mountedAt(tgt) !== undefined };
  },
  // umount through a planted symlink must not unmount what it points to.
  'unmount-symlink': (b, base) => {
    const src = dir(base, 'src');
    const tgt = dir(base, 'tgt');
    b.bind(src, tgt);
    fs.symlinkSync(tgt, path.join(base, 'link'));
    const error = caught(() => b.unmount(path.join(base, 'link')));
    return { error, stillMounted: mountedAt(tgt) !== undefined };
  },
  'missing-target': (b, base) => {
    const src = dir(base, 'src');
    return { error: caught(() => b.bind(src, path.join(base, 'missing'))) };
  },
};

function backendNamed(name: string): MountBackend {
  if (name === 'exec') return createExecBackend();
  const loaded = loadBinding();
  if (!loaded.binding) throw new Error(`native addon unavailable: ${loaded.reason}`);
  return createNativeBackend(loaded.binding);
}

const [backendName, scenario, base] = process.argv.slice(2);
// Without arguments (e.g. picked up by a test runner) there is nothing to do.
if (backendName && scenario && base) {
  try {
    const run = scenarios[scenario];
    if (!run) throw new Error(`unknown scenario ${scenario}`);
    emit({ ok: true, data: run(backendNamed(backendName), base) });
  } catch (error) {
    emit({ ok: false, error: String((error as Error)?.stack ?? error) });
  }
}
