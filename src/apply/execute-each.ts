// The executor for `apply --keep-going`: a step that fails costs only its own entry. What the
// previous generation had is still taken down all-or-nothing first (a half-done transition
// would leave mounts keepsake no longer knows about). Then each entry's steps, which the
// planner keeps together, run as one unit: when one fails, that entry's steps already taken
// are undone in reverse order, exactly as a failed plain apply undoes all of its own, so the
// entry is left as it was found; nothing of its data is moved, removed or hidden. Entries inside
// a failed directory entry are not attempted (their mount points would be made on the root's
// own directory). A later entry that needed a directory the failed one had made fails in turn,
// and is undone in turn: it is named, never half set up. utab lines are written last, for the
// entries that are in place; a line that cannot be written is skipped, as in a plain apply.

import { isWithin } from '../core/paths.js';
import type { Plan } from '../plan/types.js';
import type { SystemOps } from '../system/system.js';
import {
  describe,
  type ExecuteEvent,
  type ExecuteOptions,
  type ExecuteResult,
  type FailedEntry,
  run,
  startRun,
  undoRange,
  writeUtab,
} from './execute.js';
import { runNative } from './execute-native.js';

export function executeEach(
  plan: Plan,
  sys: SystemOps,
  onEvent: (e: ExecuteEvent) => void,
  options: ExecuteOptions,
): ExecuteResult {
  const { actions } = plan;
  const { host, outcomes, emit } = startRun(plan, onEvent);
  const step = (i: number): boolean => {
    const outcome = outcomes[i]!;
    try {
      if (i === options.failAt) throw new Error(`injected failure before action ${i}`);
      const notes = run(sys, host, actions[i]!, actions);
      if (notes && notes.length > 0) outcome.notes = notes;
      outcome.status = 'done';
      emit(outcome);
      if (i === options.killAfter) process.kill(process.pid, 'SIGKILL');
      return true;
    } catch (e) {
      outcome.status = 'failed';
      outcome.error = describe(e);
      emit(outcome);
      return false;
    }
  };
  const undoDone = (from: number, to: number) => undoRange(sys, host, outcomes, from, to, emit);
  const utab: number[] = [];
  const setupFrom = plan.setupFrom ?? 0;
  for (let i = 0; i < setupFrom; i++) {
    if (actions[i]!.kind === 'utab') utab.push(i);
    else if (!step(i)) {
      undoDone(0, i);
      return { ok: false, outcomes };
    }
  }
  const entries = new Map(plan.entries.map((e) => [e.id, e]));
  const failed: FailedEntry[] = [];
  const failedDirs: string[] = [];
  for (let i = setupFrom; i < actions.length; ) {
    if (actions[i]!.kind === 'utab') {
      utab.push(i++);
      continue;
    }
    const id = actions[i]!.entry;
    let end = i + 1;
    while (end < actions.length && actions[end]!.entry === id && actions[end]!.kind !== 'utab')
      end++;
    const entry = id === undefined ? undefined : entries.get(id);
    const inside = entry && failedDirs.find((d) => isWithin(entry.target, d));
    if (id !== undefined && inside !== undefined) {
      failed.push({ entry: id, inside });
    } else {
      // The step that ended a run of native steps is taken one by one (it may have failed).
      let oneByOne = -1;
      for (let k = i; k < end; k++) {
        if (k !== oneByOne) {
          const n = runNative(sys, host, actions, outcomes, emit, k, end, options);
          if (n > 0) {
            k += n - 1;
            oneByOne = k + 1;
            continue;
          }
        }
        if (step(k)) continue;
        // This entry only: back to how it was found, then on to the next one. A move whose
        // settling failed is the exception: the store is bound over its source and already
        // holds what was removed there, so undoing the bind would hide data; its journal
        // makes the next run carry on (see move.ts).
        if (actions[k]!.kind !== 'adopt-finish') undoDone(i, k);
        if (id === undefined) {
          // Steps that belong to no entry are shared: without them nothing is sure.
          undoDone(0, i);
          return { ok: false, outcomes };
        }
        failed.push({ entry: id, ...(outcomes[k]!.error ? { error: outcomes[k]!.error } : {}) });
        if (entry?.kind === 'directory') failedDirs.push(entry.target);
        break;
      }
    }
    i = end;
  }
  const lost = new Set(failed.map((f) => f.entry));
  const lines = utab.filter((i) => !lost.has(actions[i]!.entry ?? ''));
  writeUtab(sys, host, actions, lines, outcomes, emit, options);
  return { ok: true, outcomes, failedEntries: failed };
}
