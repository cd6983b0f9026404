// The executor: carries out a checked plan, in order, and undoes its own work if a step
// fails, so a failed apply leaves the file tree and the mount table as they were.
// Only plans without problems reach this point (see apply.ts). With `keepGoing`, the unit of
// all-or-nothing is one entry instead of the whole plan (execute-each.ts).

import { KeepsakeError, SystemError } from '../errors.js';
import { hostPath } from '../plan/paths.js';
import type { Action, Plan } from '../plan/types.js';
import type { SystemOps } from '../system/system.js';
import { executeEach } from './execute-each.js';

/** `skipped`: a step whose failure costs nothing that persists (utab's hints), so nothing is
 *  undone for it; it is reported, and the next apply tries it again. */
export type ActionStatus = 'done' | 'failed' | 'undone' | 'undo-failed' | 'not-run' | 'skipped';

export interface ActionOutcome {
  index: number;
  action: Action;
  status: ActionStatus;
  error?: { code: string; message: string; hint?: string };
}

export interface ExecuteResult {
  ok: boolean;
  outcomes: ActionOutcome[];
  /** `keepGoing`: entries whose steps failed (and were undone), or that lie inside one. */
  failedEntries?: FailedEntry[];
}

export interface FailedEntry {
  entry: string;
  error?: { code: string; message: string; hint?: string };
  /** The target of the failed directory entry it lies inside. */
  inside?: string;
}

export type ExecuteEvent = { type: 'action'; outcome: ActionOutcome };

export interface ExecuteOptions {
  /** Fault injection for tests: fail when reaching this action index. */
  failAt?: number;
  /** Crash injection for tests: SIGKILL this process once this action is done. */
  killAfter?: number;
  /** A step that fails costs only its own entry (see execute-each.ts). */
  keepGoing?: boolean;
}

/** Hidden switches for fault-injection and crash tests: fail at, or SIGKILL after, action N. */
export function faultInjectionFromEnv(env: NodeJS.ProcessEnv = process.env): ExecuteOptions {
  const failAt = env.KEEPSAKE_FAIL_AT_ACTION;
  const killAfter = env.KEEPSAKE_KILL_AFTER_ACTION;
  return {
    ...(failAt ? { failAt: Number(failAt) } : {}),
    ...(killAfter ? { killAfter: Number(killAfter) } : {}),
  };
}

export function executePlan(
  plan: Plan,
  sys: SystemOps,
  onEvent: (e: ExecuteEvent) => void = () => {},
  options: ExecuteOptions = {},
): ExecuteResult {
  return sys.batch(() =>
    options.keepGoing
      ? executeEach(plan, sys, onEvent, options)
      : executeBatch(plan, sys, onEvent, options),
  );
}

function executeBatch(
  plan: Plan,
  sys: SystemOps,
  onEvent: (e: ExecuteEvent) => void,
  options: ExecuteOptions,
): ExecuteResult {
  const host = (p: string) => hostPath(plan.root, p);
  const outcomes: ActionOutcome[] = plan.actions.map((action, index) => ({
    index,
    action,
    status: 'not-run',
  }));
  const emit = (o: ActionOutcome) => onEvent({ type: 'action', outcome: o });
  let failedAt = -1;
  // utab lines are written last, in one rewrite of the file: nothing needs them earlier,
  // a failure before them leaves the file untouched, and their own failure undoes nothing.
  const utab: number[] = [];
  for (let i = 0; i < plan.actions.length; i++) {
    const action = plan.actions[i]!;
    const outcome = outcomes[i]!;
    try {
      if (i === options.failAt) throw new Error(`injected failure before action ${i}`);
      if (action.kind === 'utab') {
        utab.push(i);
        continue;
      }
      run(sys, host, action);
      outcome.status = 'done';
      emit(outcome);
      if (i === options.killAfter) process.kill(process.pid, 'SIGKILL');
    } catch (e) {
      outcome.status = 'failed';
      outcome.error = describe(e);
      emit(outcome);
      failedAt = i;
      break;
    }
  }
  if (failedAt < 0 && utab.length > 0) {
    const lines = utab.map((i) => plan.actions[i]!) as Extract<Action, { kind: 'utab' }>[];
    try {
      sys.updateUtab(
        host('/run/mount/utab'),
        lines.filter((a) => !a.remove).map(utabLine),
        lines.filter((a) => a.remove).map((a) => a.target),
      );
      for (const i of utab) {
        outcomes[i]!.status = 'done';
        emit(outcomes[i]!);
      }
      // The utab lines are one step: a crash test that stops at any of them stops here.
      if (options.killAfter !== undefined && utab.includes(options.killAfter)) {
        process.kill(process.pid, 'SIGKILL');
      }
    } catch (e) {
      // utab only tells file managers what to hide: a line that cannot be written must never
      // cost the binds already made, so they stay, and the lines are reported as skipped.
      const why = describe(e);
      for (const i of utab) {
        outcomes[i]!.status = 'skipped';
        outcomes[i]!.error = {
          ...why,
          hint: `${why.hint ? `${why.hint}; ` : ''}the bind is in place, only a file manager may show it; the next apply writes the line again`,
        };
        emit(outcomes[i]!);
      }
    }
  }
  if (failedAt < 0) return { ok: true, outcomes };
  // Undo in reverse order: children before parents, mounts before their mount points.
  for (let i = failedAt - 1; i >= 0; i--) {
    const outcome = outcomes[i]!;
    if (outcome.status !== 'done' || outcome.action.kind === 'utab') continue;
    try {
      undo(sys, host, outcome.action);
      outcome.status = 'undone';
    } catch (e) {
      outcome.status = 'undo-failed';
      outcome.error = describe(e);
    }
    emit(outcome);
  }
  return { ok: false, outcomes };
}

export function run(sys: SystemOps, host: (p: string) => string, a: Action) {
  switch (a.kind) {
    case 'mkdir':
      return sys.mkdir(host(a.path), a.uid, a.gid, a.mode);
    case 'create-file':
      return sys.createFile(host(a.path), a.content, a.uid, a.gid, a.mode);
    case 'chown':
      return sys.chown(host(a.path), a.uid, a.gid);
    case 'chmod':
      return sys.chmod(host(a.path), a.mode);
    case 'symlink':
      return sys.symlink(host(a.path), a.to, a.uid, a.gid);
    case 'bind':
      sys.bind(host(a.source), host(a.target), a.entryKind);
      if (a.propagation) sys.setPropagation(host(a.target), a.propagation);
      return;
    case 'adopt':
      return sys.moveData(host(a.from), host(a.to), a.type, a.how === 'backup');
    case 'propagation':
      return sys.setPropagation(host(a.target), a.type);
    case 'unmount':
      return sys.unmount(host(a.target), false);
    case 'unlink':
      return sys.removeLink(host(a.path), a.to);
    case 'remove':
      return sys.removeIfEmpty(host(a.path), a.type);
    case 'utab':
      return;
  }
}

export function undo(sys: SystemOps, host: (p: string) => string, a: Action) {
  switch (a.kind) {
    case 'mkdir':
      return sys.removeDir(host(a.path));
    case 'create-file':
    case 'symlink':
      return sys.removeFile(host(a.path));
    case 'chown':
      return sys.chown(host(a.path), a.was.uid, a.was.gid);
    case 'chmod':
      return sys.chmod(host(a.path), a.was);
    case 'bind':
      return sys.unmount(host(a.target), true);
    case 'adopt':
      // Back where it was found; the directory it leaves in the store stays, empty.
      return sys.moveData(host(a.to), host(a.from), a.type, false);
    case 'unmount':
      return sys.bind(host(a.source), host(a.target), a.entryKind);
    case 'unlink':
      return sys.symlink(host(a.path), a.to, a.uid, a.gid);
    case 'remove':
      // The removal keeps what was not empty: then there is nothing to put back.
      try {
        return a.type === 'directory'
          ? sys.mkdir(host(a.path), a.uid, a.gid, a.mode)
          : sys.createFile(host(a.path), '', a.uid, a.gid, a.mode);
      } catch (e) {
        if (e instanceof SystemError && e.errno === 'EEXIST') return;
        throw e;
      }
    case 'propagation':
    case 'utab':
      return;
  }
}

/** libmount's utab line for a bind mount with userspace-only options, as `mount(8)` writes
 *  it: `SRC=/dev/vdb TARGET=/var/log ROOT=/var/log BINDSRC=/persist/var/log OPTS=x-gvfs-hide`. */
export function utabLine(a: Extract<Action, { kind: 'utab' }>): Record<string, string> {
  return {
    SRC: a.device,
    TARGET: a.target,
    ROOT: a.fsRoot,
    BINDSRC: a.source,
    OPTS: a.options.join(','),
  };
}

export function describe(e: unknown): { code: string; message: string; hint?: string } {
  if (e instanceof KeepsakeError) {
    return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
  const err = e as NodeJS.ErrnoException;
  return { code: err.code ?? 'error', message: err.message ?? String(e) };
}
