// `keepsake diff` as a library function: what lives on the ephemeral file systems that
// nothing declares. Composition only: the pruned paths, the ignore rules, one walk per
// scanned path into its own roll-up, and the escaped entries.

import { hostPath, isWithin } from '../core/paths.js';
import { managedHomeTargets } from '../home/select.js';
import type { MountInfo } from '../model/observed.js';
import type { Model } from '../model/types.js';
import { Aggregator } from './aggregate.js';
import { areaOf, type EphemeralArea, fsTypeAt, PSEUDO_PATHS } from './ephemeral.js';
import { findEscaped, type Inspect } from './escaped.js';
import { buildIgnoreRules, ignoredBy } from './ignore.js';
import type { ReadAhead, ReadDirectory } from './listing.js';
import type { DiffReport } from './types.js';
import { ancestorsOfAll, type PruneReason, type Pruning, Walk } from './walk.js';

export { PSEUDO_PATHS };

export interface DiffRequest {
  /** `--root`, a real directory. */
  root: string;
  /** System paths to scan; `/` by default. */
  paths: readonly string[];
  /** Of `paths`, those found rather than asked for (tmpfs mounts, none declared): silently
   *  left out when ignored. */
  found?: readonly string[];
  model: Model;
  /**
   * Paths that persist, as the booted system sees them: the entries' targets, and anything
   * else that is put in place from persistent storage.
   */
  declared: readonly string[];
  mounts: readonly MountInfo[];
  /** What the next boot wipes (see ephemeral.ts). */
  areas: readonly EphemeralArea[];
  /** Targets keepsake set up in this boot; undefined when unknown. */
  liveTargets: readonly string[] | undefined;
  bootMs: number;
  /** Levels of the report kept below each scanned path. */
  depth: number;
  /** Walk and report ignored paths too, marked. */
  all: boolean;
  read: ReadDirectory;
  /** Reads the directories the walk enters next on another thread (see read-directory.ts). */
  ahead?: ReadAhead;
  /** lstat and existence of targets and stores, for escaped data. */
  inspect: Inspect;
  backend: DiffReport['backend'];
  onProgress?: (entries: number, dir: string) => void;
}

/** The paths that persist according to a model: every entry's target, and every home file
 *  (a link into keepsake's home store, made again at each apply). */
export function declaredTargets(model: Model): string[] {
  return [...model.entries.map((e) => e.target), ...managedHomeTargets(model)];
}

/** What the walk never enters (host paths): declared paths, stores, pseudo and other mounts. */
export function buildPruning(
  root: string,
  declared: readonly string[],
  stores: readonly string[],
  mounts: readonly MountInfo[],
): Pruning {
  const paths = new Map<string, PruneReason>();
  const inRoot = (host: string) => root === '/' || isWithin(host, root);
  for (const m of mounts) {
    if (inRoot(m.mountPoint) && m.mountPoint !== root) {
      paths.set(m.mountPoint, { why: 'mount', fsType: m.fsType });
    }
  }
  for (const p of PSEUDO_PATHS) paths.set(hostPath(root, p), { why: 'pseudo' });
  for (const s of stores) paths.set(hostPath(root, s), { why: 'store' });
  for (const d of declared) paths.set(hostPath(root, d), { why: 'declared' });
  return { paths, ancestors: ancestorsOfAll(paths.keys()) };
}

export function scanUndeclared(req: DiffRequest): DiffReport {
  const { root, model } = req;
  const pruning = buildPruning(root, req.declared, model.stores, req.mounts);
  const rules = buildIgnoreRules(model.ignores ?? [], { defaults: true });
  const agg = new Aggregator({ depth: req.depth, bootMs: req.bootMs });
  const options = {
    read: req.read,
    ...(req.ahead ? { ahead: req.ahead } : {}),
    root,
    pruning,
    rules,
    showIgnored: req.all,
  };
  const walk = new Walk(agg, {
    ...options,
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  });
  const report: DiffReport = {
    bootMs: req.bootMs,
    roots: [],
    escaped: [],
    skipped: walk.result.skipped,
    errors: walk.result.errors,
    ignored: agg.ignored,
    backend: req.backend,
    ephemeral: [...req.areas],
    persistent: [],
  };
  const found = new Set(req.found ?? []);
  for (const path of req.paths) {
    const persisted = req.declared.find((d) => isWithin(path, d));
    if (persisted !== undefined) {
      report.errors.push({ path, reason: `not scanned: it persists (${persisted} is declared)` });
      continue;
    }
    const rule = path === '/' ? undefined : ignoredBy(rules, path, true);
    if (rule !== undefined && !req.all && found.has(path)) continue; // /tmp: nothing to say
    if (rule !== undefined && !req.all) {
      report.errors.push({ path, reason: `not scanned: ignored by ${rule.origin} (see --all)` });
      continue;
    }
    // Asked for by name, a path the next boot keeps is still walked, but said to be kept.
    if (areaOf(path, req.areas, root, req.mounts) === undefined)
      report.persistent.push({ path, fsType: fsTypeAt(path, root, req.mounts) });
    report.roots.push(walk.run(hostPath(root, path), rule?.origin));
  }
  // A mount met by one walk and scanned as a path of its own is not "not scanned".
  const scannedHosts = new Set(req.paths.map((p) => hostPath(root, p)));
  // In path order: the walk meets mounts in the order the directories list them.
  report.skipped = report.skipped
    .filter((s) => !scannedHosts.has(hostPath(root, s.path)))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // Escaped data is summed whole, ignored or not: it belongs to a declared entry.
  const measure = (host: string) => {
    const whole = new Aggregator({ depth: 0, bootMs: req.bootMs });
    const node = new Walk(whole, { ...options, rules: [], showIgnored: true }).run(host);
    return { files: node.files, bytes: node.bytes, changed: node.changed };
  };
  const live = req.liveTargets === undefined ? undefined : new Set(req.liveTargets);
  const kept = new Set(report.persistent.map((p) => p.path));
  const scanned = model.entries.filter((e) =>
    req.paths.some((p) => !kept.has(p) && isWithin(e.target, p)),
  );
  report.escaped = findEscaped(scanned, root, req.mounts, req.bootMs, live, measure, req.inspect);
  return report;
}
