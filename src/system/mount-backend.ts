// How keepsake mounts: through the native addon (one syscall per operation) or, when it is not
// built, through mount(8)/umount(8). A recording backend serves dry runs.

import fs from 'node:fs';
import { describeErrno } from '../core/errno.js';
import { SystemError, UsageError } from '../errors.js';
import { hooks } from '../hooks.js';
import { type BindingError, loadBinding, type MountBinding } from './binding.js';
import { spawnSync } from './spawn.js';

export interface MountBackend {
  readonly name: 'native' | 'exec' | 'recording';
  /** MS_BIND (no MS_REC) of source onto target; paths may be /proc/self/fd/N magic links. */
  bind(source: string, target: string): void;
  /** Separate call, as MS_BIND|propagation in one call is ignored by the kernel. */
  setPropagation(target: string, type: Propagation): void;
  unmount(target: string, options?: { detach?: boolean }): void;
}

export type Propagation = 'slave' | 'private' | 'shared';

export const MS = {
  RDONLY: 1,
  REMOUNT: 32,
  BIND: 4096,
  REC: 16384,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
} as const;
export const MNT_DETACH = 2;
/** Never unmount what a planted symlink at the target points to. */
export const UMOUNT_NOFOLLOW = 8;

const PROPAGATION_FLAG: Record<Propagation, number> = {
  slave: MS.SLAVE,
  private: MS.PRIVATE,
  shared: MS.SHARED,
};

const HINTS: Record<string, string> = {
  EPERM: 'run as root or inside a user namespace with mount rights',
  EACCES: 'run as root, and check that every parent directory can be searched',
  ENOENT: 'the source or target does not exist',
  ENOTDIR: 'a directory can only be bound onto a directory, and a file onto a file',
  EBUSY: 'something is using the mount; close it or unmount with detach',
  ELOOP: 'too many symbolic links in the path',
  ENAMETOOLONG: 'the path is too long',
};

function hintFor(op: string, errno: string): string | undefined {
  if (errno === 'EINVAL') {
    return op === 'bind'
      ? 'the source cannot be bound (an unbindable mount, or a mount in another namespace)'
      : 'the target is not a mount point (or is a symbolic link)';
  }
  return HINTS[errno];
}

/** Shows what a /proc/self/fd alias stands for, since the alias alone means nothing to a user. */
function show(p: string): string {
  if (!p.startsWith('/proc/self/fd/')) return `'${p}'`;
  try {
    return `'${fs.readlinkSync(p)}' (${p})`;
  } catch {
    return `'${p}'`;
  }
}

function describeOp(op: string, args: string[]): string {
  if (op === 'bind') return `bind-mount ${show(args[0]!)} onto ${show(args[1]!)}`;
  if (op === 'propagation') return `make ${show(args[0]!)} ${args[1]}`;
  return `unmount ${show(args[0]!)}`;
}

function fail(op: string, args: string[], syscall: string, errno: string, detail: string) {
  const target = op === 'bind' ? args[1]! : args[0]!;
  return new SystemError(
    syscall,
    errno,
    target,
    `cannot ${describeOp(op, args)}: ${detail}`,
    hintFor(op, errno),
  );
}

export function createNativeBackend(b: MountBinding): MountBackend {
  const run = (op: string, args: string[], call: () => void) => {
    try {
      call();
    } catch (error) {
      const e = error as BindingError;
      if (typeof e?.code !== 'string' || typeof e.errno !== 'number') throw error;
      throw fail(op, args, e.syscall, e.code, `${describeErrno(e.code)} (${e.code})`);
    }
  };
  return {
    name: 'native',
    bind: (source, target) =>
      run('bind', [source, target], () => b.mount(source, target, null, MS.BIND, null)),
    setPropagation: (target, type) =>
      run('propagation', [target, type], () =>
        b.mount(null, target, null, PROPAGATION_FLAG[type], null),
      ),
    unmount: (target, options) => {
      // A /proc/self/fd alias is itself a (magic) link and must be followed.
      const nofollow = target.startsWith('/proc/self/fd/') ? 0 : UMOUNT_NOFOLLOW;
      const flags = (options?.detach ? MNT_DETACH : 0) | nofollow;
      run('unmount', [target], () => b.umount2(target, flags));
    },
  };
}

/** Our /proc/self/fd/N means the child's own fds in mount(8): name ours by pid instead. */
function forChild(p: string): string {
  return p.startsWith('/proc/self/fd/') ? `/proc/${process.pid}/fd/${p.slice(14)}` : p;
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false; // let umount(8) report a missing or unreachable target
  }
}

/** mount(8) prints no errno: recover the likely one from its (English) message. */
function guessErrno(stderr: string): string {
  const s = stderr.toLowerCase();
  if (/does not exist|no such file/.test(s)) return 'ENOENT';
  if (/permission denied|must be superuser|operation not permitted/.test(s)) return 'EPERM';
  if (/target is busy|device is busy/.test(s)) return 'EBUSY';
  if (/not a directory/.test(s)) return 'ENOTDIR';
  if (/not mounted|invalid argument/.test(s)) return 'EINVAL';
  if (/too many levels of symbolic links/.test(s)) return 'ELOOP';
  return 'EIO';
}

export function createExecBackend(): MountBackend {
  const run = (op: string, args: string[], command: string, argv: string[]) => {
    // -n: never write /run/mount/utab (it is not namespaced); -c: pass paths through untouched
    // so a /proc/<pid>/fd alias is resolved by the kernel, not canonicalised beforehand.
    const result = spawnSync(command, ['-n', '-c', ...argv], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (result.error) {
      const code = (result.error as NodeJS.ErrnoException).code ?? 'EIO';
      throw fail(op, args, 'spawn', code, `cannot run ${command}(8): ${result.error.message}`);
    }
    if (result.status !== 0) {
      const stderr =
        result.stderr
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.includes('dmesg(1)'))
          .join('; ') || `${command} exited with ${result.status ?? result.signal}`;
      throw fail(op, args, command, guessErrno(stderr), stderr);
    }
  };
  return {
    name: 'exec',
    bind: (source, target) =>
      run('bind', [source, target], 'mount', ['--bind', forChild(source), forChild(target)]),
    setPropagation: (target, type) =>
      run('propagation', [target, type], 'mount', [`--make-${type}`, forChild(target)]),
    unmount: (target, options) => {
      // umount(8) has no "no follow" switch: refuse a symlink target as the native path does.
      if (!target.startsWith('/proc/self/fd/') && isSymlink(target)) {
        throw fail('unmount', [target], 'umount2', 'EINVAL', 'the target is a symbolic link');
      }
      run('unmount', [target], 'umount', [...(options?.detach ? ['-l'] : []), forChild(target)]);
    },
  };
}

export function createRecordingBackend(): MountBackend & {
  calls: Array<{ op: string; args: string[] }>;
} {
  const calls: Array<{ op: string; args: string[] }> = [];
  return {
    name: 'recording',
    calls,
    bind: (source, target) => void calls.push({ op: 'bind', args: [source, target] }),
    setPropagation: (target, type) =>
      void calls.push({ op: 'setPropagation', args: [target, type] }),
    unmount: (target, options) =>
      void calls.push({ op: 'unmount', args: options?.detach ? [target, 'detach'] : [target] }),
  };
}

/**
 * The native backend when the addon loads, otherwise mount(8) with a notice saying why (for
 * the caller to print once). KEEPSAKE_MOUNT_BACKEND=native|exec forces one.
 */
export function loadMountBackend(forced = hooks().mountBackend ?? ''): {
  backend: MountBackend;
  notice?: string;
} {
  if (forced === 'exec') {
    return {
      backend: createExecBackend(),
      notice: 'using mount(8), as KEEPSAKE_MOUNT_BACKEND=exec asks',
    };
  }
  if (forced !== '' && forced !== 'native') {
    throw new UsageError(`KEEPSAKE_MOUNT_BACKEND must be 'native' or 'exec', not '${forced}'`);
  }
  const loaded = loadBinding();
  if (loaded.binding) return { backend: createNativeBackend(loaded.binding) };
  if (forced === 'native') {
    throw new SystemError(
      'dlopen',
      'ENOENT',
      'build/Release/keepsake_mount.node',
      `the native mount backend is unavailable: ${loaded.reason}`,
      'build it with `node scripts/build-addon.mjs --strict`, or unset KEEPSAKE_MOUNT_BACKEND to use mount(8)',
    );
  }
  return {
    backend: createExecBackend(),
    notice: `native mount addon unavailable (${loaded.reason}); using mount(8) instead`,
  };
}
