import { resolveRoot } from '../../apply/pipeline.js';
import { executeRelease, type ReleaseOutcome } from '../../apply/release.js';
import { readApplied } from '../../generations/store.js';
import { observe } from '../../observe/observe.js';
import { planRelease } from '../../plan/release.js';
import { loadBinding } from '../../system/binding.js';
import { acquireLock } from '../../system/lock.js';
import { openLiveSystem } from '../../system/system.js';
import type { ReleaseOptions } from '../declare/release.js';
import type { Output } from '../output.js';

const SAY: Record<ReleaseOutcome['status'], string> = {
  unmounted: 'unmounted',
  detached: 'detached (busy: the kernel finishes the unmount when the last user goes)',
  'already-gone': 'already unmounted',
  failed: 'could not unmount',
};

/**
 * Take down what this boot's live generation mounted (the service's ExecStop at shutdown).
 * It works from the record in <root>/run/keepsake, not the configuration file, which may have
 * changed since. Stored data is never touched.
 */
export async function run(opts: ReleaseOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const lock = opts.dryRun ? null : acquireLock(root, loadBinding().binding, 'release');
  try {
    const live = readApplied(root);
    if (!live) {
      if (out.json) out.record('release.result', { event: 'result', ok: true, released: 0 });
      else out.line('nothing to release: no generation is live in this boot');
      return 0;
    }
    const plan = planRelease(live, observe(root));
    if (opts.dryRun) {
      if (out.json) out.record('release.plan', plan);
      else for (const s of plan.unmounts) out.line(`would unmount ${s.target}`);
      return 0;
    }
    const system = openLiveSystem();
    if (system.notice) out.error(out.paint('yellow', `keepsake: ${system.notice}`));
    const result = system.sys.batch(() =>
      executeRelease(plan, system.sys, (o) => {
        if (out.json)
          out.record('release.event', {
            event: 'unmount',
            target: o.step.target,
            status: o.status,
            ...(o.error ? { error: o.error } : {}),
          });
        else {
          const mark = o.status === 'failed' ? out.paint('red', '✗') : out.paint('green', '✓');
          (o.status === 'failed' ? out.trouble : out.line)(
            `${mark} ${SAY[o.status]} ${o.step.target}${o.error ? `: ${o.error}` : ''}`,
          );
        }
      }),
    );
    for (const l of plan.left)
      if (!out.json) out.trouble(out.paint('yellow', `left ${l.target}: ${l.note}`));
    if (out.json)
      out.record('release.result', {
        event: 'result',
        ok: result.ok,
        generation: plan.generation,
        released: result.outcomes.length,
        left: plan.left,
      });
    else if (result.ok)
      out.line(
        `released generation ${plan.generation}: ${result.outcomes.length} mount(s) taken down, data kept in the stores`,
      );
    else out.trouble(out.paint('red', 'release incomplete: see the mounts marked ✗ above'));
    return result.ok ? 0 : 1;
  } finally {
    lock?.release();
  }
}
