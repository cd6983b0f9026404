// Runs of the plan's common steps handed to the system in one call (SystemOps.runSteps,
// the native addon where it is loaded), for both executors. What a run does is exactly what
// the same steps do one by one (see native/steps.c): each step done is marked and reported
// as it would have been, in order. The step that stopped a run is then taken by the caller
// on its own path, one by one, so a failure is reported, undone and counted as before.

import type { Action } from '../plan/types.js';
import type { NativeStep } from '../system/native-steps.js';
import type { SystemOps } from '../system/system.js';
import type { ActionOutcome, ExecuteOptions } from './execute.js';

/**
 * The entries whose bind goes over the source of a move into the store: an adoption, whose
 * finish (after the bind) settles what is left below. Every other bind is over an empty
 * directory, and the system checks that it still is.
 */
const movesOf = new WeakMap<readonly Action[], Set<string>>();
export function bindsOverMove(actions: readonly Action[]): Set<string> {
  let ids = movesOf.get(actions);
  if (!ids) {
    ids = new Set();
    for (const a of actions) if (a.kind === 'adopt-finish' && a.entry) ids.add(a.entry);
    movesOf.set(actions, ids);
  }
  return ids;
}

/** The step an action is in the addon's terms, or null when it is not one of those. */
function stepOf(
  a: Action,
  host: (p: string) => string,
  actions: readonly Action[],
): NativeStep | null {
  switch (a.kind) {
    case 'mkdir':
      return { op: 'mkdir', path: host(a.path), uid: a.uid, gid: a.gid, mode: a.mode };
    case 'create-file':
      return {
        op: 'create-file',
        path: host(a.path),
        content: a.content,
        uid: a.uid,
        gid: a.gid,
        mode: a.mode,
      };
    case 'symlink':
      return { op: 'symlink', path: host(a.path), to: a.to, uid: a.uid, gid: a.gid };
    case 'bind':
      // A propagation change after the bind stays on the one-by-one path, and so does a
      // bind over a move's source (the addon binds over empty directories only).
      if (a.propagation) return null;
      if (a.entry !== undefined && bindsOverMove(actions).has(a.entry)) return null;
      return { op: 'bind', source: host(a.source), target: host(a.target), kind: a.entryKind };
    default:
      return null;
  }
}

/**
 * Carries out actions from `from` (up to `to`, exclusive) in one call while they are common
 * steps, and returns how many were done. A run never passes a test's injected failure, and
 * ends at its injected kill, so both happen exactly where they would one by one.
 */
export function runNative(
  sys: SystemOps,
  host: (p: string) => string,
  actions: readonly Action[],
  outcomes: ActionOutcome[],
  emit: (o: ActionOutcome) => void,
  from: number,
  to: number,
  options: ExecuteOptions,
): number {
  if (!sys.runSteps) return 0;
  let end = to;
  if (options.failAt !== undefined && options.failAt >= from) end = Math.min(end, options.failAt);
  if (options.killAfter !== undefined && options.killAfter >= from) {
    end = Math.min(end, options.killAfter + 1);
  }
  const steps: NativeStep[] = [];
  for (let i = from; i < end; i++) {
    const step = stepOf(actions[i]!, host, actions);
    if (!step) break;
    steps.push(step);
  }
  if (steps.length === 0) return 0;
  const done = sys.runSteps(steps);
  for (let i = from; i < from + done; i++) {
    outcomes[i]!.status = 'done';
    emit(outcomes[i]!);
  }
  if (done > 0 && from + done - 1 === options.killAfter) process.kill(process.pid, 'SIGKILL');
  return done;
}
