// Carries out a release. Unlike an apply it never undoes: at shutdown each unmount that can
// be made is worth making. A busy mount is detached lazily (the kernel finishes it when the
// last user goes, and the store's file system stays consistent until then); one that is
// already gone is simply done: at shutdown systemd unmounts keepsake's binds first
// (keepsake.service is ordered before their mount units, so it stops after them), and
// release only takes down what systemd could not, without a second unmount of the rest.

import { hostPath } from '../core/paths.js';
import { SystemError } from '../errors.js';
import type { ReleasePlan, ReleaseStep } from '../plan/release.js';
import type { SystemOps } from '../system/system.js';

export type ReleaseStatus = 'unmounted' | 'detached' | 'already-gone' | 'failed';

export interface ReleaseOutcome {
  step: ReleaseStep;
  status: ReleaseStatus;
  error?: string;
}

export interface ReleaseResult {
  ok: boolean;
  outcomes: ReleaseOutcome[];
}

export function executeRelease(
  plan: ReleasePlan,
  sys: SystemOps,
  onOutcome: (o: ReleaseOutcome) => void = () => {},
): ReleaseResult {
  const outcomes: ReleaseOutcome[] = [];
  for (const step of plan.unmounts) {
    const outcome = unmountOne(sys, hostPath(plan.root, step.target), step);
    outcomes.push(outcome);
    onOutcome(outcome);
  }
  let ok = outcomes.every((o) => o.status !== 'failed');
  try {
    if (plan.utab.length > 0) sys.updateUtab(hostPath(plan.root, '/run/mount/utab'), [], plan.utab);
  } catch {
    ok = false; // the lines only tell file managers what to hide; the mounts are gone
  }
  // Nothing of this boot's setup is live any more: the next apply starts from scratch.
  if (ok) {
    const run = hostPath(plan.root, '/run/keepsake');
    for (const name of ['applied.json.sum', 'applied.json']) {
      try {
        sys.removeFile(`${run}/${name}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
  return { ok, outcomes };
}

function unmountOne(sys: SystemOps, at: string, step: ReleaseStep): ReleaseOutcome {
  try {
    sys.unmount(at, false);
    return { step, status: 'unmounted' };
  } catch (e) {
    const errno = e instanceof SystemError ? e.errno : (e as NodeJS.ErrnoException).code;
    if (errno === 'EINVAL' || errno === 'ENOENT') return { step, status: 'already-gone' };
    if (errno === 'EBUSY') {
      try {
        sys.unmount(at, true);
        return { step, status: 'detached' };
      } catch (e2) {
        return { step, status: 'failed', error: (e2 as Error).message };
      }
    }
    return { step, status: 'failed', error: (e as Error).message };
  }
}
