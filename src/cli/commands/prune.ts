import { createInterface } from 'node:readline';
import { acquireLock } from '../../apply/lock.js';
import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { count, formatBytes } from '../../core/text.js';
import { describeCounts, sizeColumn } from '../../orphans/format.js';
import { carryOutPrune, type PrunePlan, planPrune } from '../../orphans/prune.js';
import { loadBinding } from '../../system/binding.js';
import { readMountInfo } from '../../system/mountinfo.js';
import type { CommonOptions } from '../main.js';
import type { Output } from '../output.js';

type PruneOptions = CommonOptions & { yes?: boolean; args?: string[] };

/** One line from the terminal; '' at end of input. */
function ask(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  return new Promise((resolve) => {
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!answered) resolve('');
    });
  });
}

/** `say`: the question a person answers is shown even with --quiet. */
function listTargets(plan: PrunePlan, say: (text: string) => void, verb: string) {
  const bytes = plan.targets.reduce((n, t) => n + t.bytes, 0);
  say(`${verb} ${count(plan.targets.length, 'path')}, ${formatBytes(bytes)}:`);
  for (const t of plan.targets) {
    const what = t.kind === 'directory' ? describeCounts(t) : t.kind;
    say(`  ${sizeColumn(t.bytes)}  ${t.path}  (${what})`);
  }
}

function listKept(plan: PrunePlan, out: Output) {
  for (const o of plan.kept) {
    out.trouble(out.paint('yellow', `not pruned: ${o.path}: ${o.reason}`));
  }
}

/**
 * Deletes orphaned store data: the paths given (each an orphan or inside one), or every
 * prunable orphan. Asks first on a terminal; elsewhere only `--yes` deletes. Everything is
 * decided and checked under the lock, before the first deletion.
 */
export async function run(opts: PruneOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const lock = acquireLock(root, loadBinding().binding, 'prune');
  if (lock.notice) out.error(out.paint('yellow', `keepsake: ${lock.notice}`));
  try {
    return await prune(opts, root, out);
  } finally {
    lock.release();
  }
}

async function prune(opts: PruneOptions, root: string, out: Output): Promise<number> {
  // The live generation's entries and everything else still in use are protected by the
  // survey (src/orphans/survey.ts), the same one `keepsake orphans` shows.
  const model = await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  const mounts = readMountInfo();
  const plan = planPrune(model, root, opts.args ?? [], mounts);

  if (plan.refused.length > 0) {
    if (out.json) {
      out.record('prune', { ok: false, deleted: [], refused: plan.refused });
      return 2;
    }
    for (const r of plan.refused) out.error(out.paint('red', `refused: ${r.path}: ${r.reason}`));
    out.error(
      out.paint(
        'red',
        `keepsake: refusing to prune: ${count(plan.refused.length, 'path')} cannot be pruned, nothing was deleted`,
      ),
    );
    out.error('  hint: prune deletes only orphaned store data; `keepsake orphans` lists it');
    return 2;
  }

  if (plan.targets.length === 0) {
    if (out.json) out.record('prune', { ok: true, deleted: [], kept: plan.kept });
    else {
      listKept(plan, out);
      out.line(
        plan.orphans.length === 0 ? 'nothing to prune: no orphaned data' : 'nothing to prune',
      );
    }
    return 0;
  }

  if (!opts.yes) {
    const interactive = !out.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
    if (!interactive) {
      if (out.json) {
        out.record('prune', {
          ok: false,
          dryRun: true,
          wouldDelete: plan.targets,
          kept: plan.kept,
          hint: 'pass --yes to delete',
        });
      } else {
        listTargets(plan, out.trouble, 'would delete');
        listKept(plan, out);
        out.error('keepsake: nothing was deleted: pass --yes to delete these');
      }
      return 2;
    }
    listTargets(plan, out.product, 'will delete');
    listKept(plan, out);
    out.product('delete them? [y/N]');
    const answer = (await ask()).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      out.trouble('nothing was deleted');
      return 2;
    }
  }

  const result = carryOutPrune(plan, root, mounts);
  const files = result.deleted.reduce((n, d) => n + d.files, 0);
  const directories = result.deleted.reduce((n, d) => n + d.directories, 0);
  const bytes = result.deleted.reduce((n, d) => n + d.bytes, 0);
  const ok = result.kept.length === 0;
  if (out.json) {
    out.record('prune', {
      ok,
      deleted: result.deleted,
      ...(result.kept.length > 0 ? { failed: result.kept } : {}),
      kept: plan.kept,
      totals: { paths: result.deleted.length, files, directories, bytes },
    });
    return ok ? 0 : 1;
  }
  for (const d of result.deleted) {
    const what = d.kind === 'directory' ? describeCounts(d) : d.kind;
    out.line(
      `${d.complete ? `${out.paint('green', '✓')} deleted` : 'partly deleted'} ${d.path}  (${what}, ${formatBytes(d.bytes)})`,
    );
  }
  for (const k of result.kept) out.trouble(out.paint('red', `kept ${k.path}: ${k.reason}`));
  listKept(plan, out);
  const summary = `pruned ${count(result.deleted.length, 'path')}: ${describeCounts({ files, directories })}, ${formatBytes(bytes)}`;
  out.line(ok ? out.paint('green', summary) : summary);
  return ok ? 0 : 1;
}
