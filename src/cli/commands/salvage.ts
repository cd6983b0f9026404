// `keepsake salvage run|list|restore|add`: the undeclared files a reboot would wipe, copied at
// shutdown into the store, listed, and brought back.

import * as fs from 'node:fs';
import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { normaliseAbsolute } from '../../config/paths.js';
import { hostPath } from '../../core/paths.js';
import { count } from '../../core/text.js';
import { ConfigError, UsageError } from '../../errors.js';
import { readApplied } from '../../generations/store.js';
import { hooks } from '../../hooks.js';
import type { Model } from '../../model/types.js';
import { formatBoot, formatBoots } from '../../salvage/format.js';
import { listSalvages, salvageDir } from '../../salvage/record.js';
import { restore } from '../../salvage/restore.js';
import { runSalvage } from '../../salvage/run.js';
import { salvageSettings } from '../../salvage/settings.js';
import type { CommonOptions } from '../declare/common.js';
import type {
  SalvageAddOptions,
  SalvageListOptions,
  SalvageRestoreOptions,
  SalvageRunOptions,
} from '../declare/salvage.js';
import { printSalvaged } from '../format-salvage.js';
import type { Output } from '../output.js';

function systemPath(p: string): string {
  if (/^\/+$/.test(p)) return '/';
  const n = normaliseAbsolute(p);
  if (!n.ok) throw new UsageError(`${p}: ${n.message}`, n.hint);
  return n.path;
}

/**
 * The model salvage works from: the configuration, or, when it cannot be read at shutdown,
 * the generation live in this boot, so that a broken file never costs the salvage.
 */
async function modelFor(opts: CommonOptions, root: string, out: Output): Promise<Model> {
  try {
    return await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  } catch (error) {
    const live = error instanceof ConfigError ? readApplied(root) : undefined;
    if (live === undefined) throw error;
    out.error(
      out.paint(
        'yellow',
        `keepsake: ${opts.config} cannot be read (${error instanceof Error ? error.message : String(error)}); salvaging with the generation live in this boot`,
      ),
    );
    return live.model;
  }
}

export async function runCommand(opts: SalvageRunOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const model = await modelFor(opts, root, out);
  const kill = hooks().salvageKillAfter;
  const outcome = runSalvage(root, model, kill ? { killAfter: Number(kill) } : {});
  const r = outcome.record;
  if (outcome.xattrProblem !== undefined)
    out.error(
      out.paint('yellow', `keepsake: extended attributes not copied: ${outcome.xattrProblem}`),
    );
  if (out.json) {
    // The salvage file's own `version` is its format's; the record's version is the record's.
    const { version: _format, ...rest } = r;
    out.record('salvage.run', { ...rest, dir: outcome.dir, expired: outcome.expired });
  } else {
    printSalvaged(out, outcome);
  }
  return r.complete ? 0 : 1;
}

export async function listCommand(opts: SalvageListOptions, out: Output) {
  const root = resolveRoot(opts.root);
  const settings = salvageSettings(await modelFor(opts, root, out));
  const salvages = listSalvages(root, settings.store);
  const dir = salvageDir(settings.store);
  const boot = opts.args[0];
  if (boot === undefined) {
    if (out.json)
      out.record('salvage.list', {
        salvages: salvages.map((s) => ({
          boot: s.boot,
          salvage: s.record ?? null,
          ...(s.problem ? { problem: s.problem } : {}),
        })),
      });
    else out.line(formatBoots(salvages, dir).join('\n'));
    return 0;
  }
  const found = salvages.filter((s) => s.boot === boot || s.boot.startsWith(boot));
  if (found.length !== 1) {
    throw new UsageError(
      found.length === 0
        ? `no salvage of a boot named ${boot} in ${dir}`
        : `${boot} names ${found.length} boots`,
      'keepsake salvage list shows the boots salvaged',
    );
  }
  const s = found[0]!;
  if (out.json)
    out.record('salvage.boot', {
      boot: s.boot,
      salvage: s.record ?? null,
      ...(s.problem ? { problem: s.problem } : {}),
    });
  else out.line(formatBoot(s).join('\n'));
  return 0;
}

export async function restoreCommand(opts: SalvageRestoreOptions, out: Output) {
  const root = resolveRoot(opts.root);
  if (opts.args.length === 0) throw new UsageError('keepsake salvage restore needs a path');
  const settings = salvageSettings(await modelFor(opts, root, out));
  const items = restore(
    {
      root,
      store: settings.store,
      paths: opts.args.map(systemPath),
      ...(opts.boot ? { boot: opts.boot } : {}),
      ...(opts.to ? { to: systemPath(opts.to) } : {}),
      force: opts.force === true,
    },
    (item) => {
      if (out.json)
        out.record('salvage.restore', { restored: item.dest, from: item.boot, file: item.file });
      else out.line(`restored ${item.dest}${item.note} from the salvage of ${item.boot}`);
    },
  );
  if (!out.json) out.line(`${count(items.length, 'file')} restored`);
  return 0;
}

/**
 * Declares a salvaged path and fills it: the files come back in place (unless they are there
 * already, from an earlier `salvage add` cut short), then `keepsake add` moves them into the
 * store and binds or links them back, as it does for any live path.
 */
export async function addCommand(opts: SalvageAddOptions, out: Output) {
  const root = resolveRoot(opts.root);
  const path = opts.args[0];
  if (path === undefined) throw new UsageError('keepsake salvage add needs a path');
  const target = systemPath(path);
  const model = await modelFor(opts, root, out);
  if (model.entries.some((e) => e.target === target))
    throw new UsageError(
      `${target} is declared already`,
      `keepsake salvage restore ${target} brings its salvaged files back`,
    );
  const settings = salvageSettings(model);
  if (fs.lstatSync(hostPath(root, target), { throwIfNoEntry: false }) === undefined) {
    restore(
      {
        root,
        store: settings.store,
        paths: [target],
        ...(opts.boot ? { boot: opts.boot } : {}),
        force: false,
      },
      (item) => {
        if (!out.json) out.line(`restored ${item.dest} from the salvage of ${item.boot}`);
      },
    );
  } else if (!out.json) {
    out.line(`${target} is there already: it is persisted as it is`);
  }
  const add = await import('./add.js');
  return add.run({ ...opts, args: [target], dryRun: false }, out);
}
