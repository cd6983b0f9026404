// What a salvage would keep: the undeclared regular files and symbolic links of the
// ephemeral areas changed since boot, the very set `keepsake diff` counts (the same walk,
// pruning and ignore rules, plus salvage's own `ignore`), and which of them fit the budget.

import { hostPath, isWithin } from '../core/paths.js';
import { formatBytes } from '../core/text.js';
import { Aggregator } from '../diff/aggregate.js';
import type { EphemeralArea } from '../diff/ephemeral.js';
import { buildIgnoreRules, ignoredBy } from '../diff/ignore.js';
import type { ReadDirectory } from '../diff/listing.js';
import { buildPruning } from '../diff/scan.js';
import { Walk } from '../diff/walk.js';
import type { MountInfo } from '../model/observed.js';
import type { Model, SalvageSettings } from '../model/types.js';
import type { SkippedFile } from './record.js';

export interface Candidate {
  /** As the booted system sees it. */
  path: string;
  size: number;
  mtimeMs: number;
  type: 'file' | 'link';
}

export interface GatherRequest {
  root: string;
  model: Model;
  settings: SalvageSettings;
  /** Paths that persist (entries' targets, home files). */
  declared: readonly string[];
  mounts: readonly MountInfo[];
  areas: readonly EphemeralArea[];
  bootMs: number;
  read: ReadDirectory;
}

export interface Gathered {
  candidates: Candidate[];
  /** Changed files that cannot be salvaged whatever the budget, with the reason. */
  unusable: SkippedFile[];
}

export function gatherChanged(req: GatherRequest): Gathered {
  const { root, model } = req;
  const pruning = buildPruning(root, req.declared, model.stores, req.mounts);
  const rules = buildIgnoreRules([...(model.ignores ?? []), ...req.settings.ignores], {
    defaults: true,
  });
  const out: Gathered = { candidates: [], unusable: [] };
  const walk = new Walk(new Aggregator({ depth: 0, bootMs: req.bootMs }), {
    read: req.read,
    root,
    pruning,
    rules,
    showIgnored: false,
    onFile: (name, _host, facts) => {
      if (facts.mtimeMs <= req.bootMs) return;
      if (facts.kind !== 'file' && facts.kind !== 'symlink') return;
      if (name.pathBase64 !== undefined) {
        out.unusable.push({
          path: name.path,
          size: facts.size,
          reason: 'its name is not UTF-8, which the salvage record cannot hold',
        });
        return;
      }
      const type = facts.kind === 'file' ? 'file' : 'link';
      out.candidates.push({ path: name.path, size: facts.size, mtimeMs: facts.mtimeMs, type });
    },
  });
  for (const area of req.areas) {
    if (req.declared.some((d) => isWithin(area.path, d))) continue;
    if (area.path !== '/' && ignoredBy(rules, area.path, true) !== undefined) continue;
    walk.run(hostPath(root, area.path));
  }
  return out;
}

export interface Selection {
  kept: Candidate[];
  over: SkippedFile[];
}

/**
 * The budget: smallest first, and among equals the most recently changed, so that the many
 * small files a person forgets (a configuration, a note) are kept before one large download.
 */
export function selectWithinBudget(candidates: readonly Candidate[], maxBytes: number): Selection {
  const order = [...candidates].sort(
    (a, b) => a.size - b.size || b.mtimeMs - a.mtimeMs || (a.path < b.path ? -1 : 1),
  );
  const kept: Candidate[] = [];
  const over: SkippedFile[] = [];
  let total = 0;
  for (const c of order) {
    if (total + c.size <= maxBytes) {
      kept.push(c);
      total += c.size;
    } else {
      over.push({
        path: c.path,
        size: c.size,
        reason: `over the budget (salvage.maxBytes: ${formatBytes(maxBytes)})`,
      });
    }
  }
  return { kept, over };
}
