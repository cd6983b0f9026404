// The figures a fleet watches, each from the very function the command that shows it uses:
// entry states as `status` judges them, the undeclared and escaped totals of `diff`, the
// orphaned bytes of `orphans`. The last two walk trees whose size has no bound (the ephemeral
// file systems; the orphaned data in the stores): a cheap refresh (apply's) keeps the walked
// figures of the last full run of this boot instead. The rest costs milliseconds.

import fs from 'node:fs';
import { preparePlan } from '../apply/pipeline.js';
import { hostPath } from '../core/paths.js';
import { scanLiveSystem } from '../diff/live.js';
import { readApplied } from '../generations/store.js';
import type { Model } from '../model/types.js';
import { survey } from '../orphans/survey.js';
import { judge } from '../plan/judge.js';
import type { EntryPlan, LiveState } from '../plan/types.js';
import { lstatOrNull, mkdirSafe, writeFileAtomicSafe } from '../system/safe-fs.js';
import { type LastApply, readLastApply } from './last-apply.js';
import { salvagedBytes } from './salvage.js';

/** What the walks of the trees found, and when. */
export interface Walked {
  version: 1;
  /** When the walk ended, in seconds since the epoch. */
  at: number;
  undeclaredFiles: number;
  undeclaredBytes: number;
  escaped: number;
  orphanBytes: number;
}

export interface Figures {
  entries: Record<EntryPlan['state'], number>;
  /** The same entries by what the live system shows at each target. */
  live: Record<LiveState, number>;
  skipped: number;
  lastApply?: LastApply;
  salvagedBytes: number;
  /** Absent when no full run has walked the tree in this boot. */
  walked?: Walked;
}

const WALKED = '/run/keepsake/metrics-walked.json';

/** The walked figures of the last full run of this boot, when root wrote them. */
function readWalked(root: string): Walked | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(hostPath(root, WALKED), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0) return undefined;
    const w = JSON.parse(fs.readFileSync(fd, 'utf8')) as Walked;
    const good = w.version === 1 && [w.at, w.undeclaredBytes, w.orphanBytes].every(Number.isFinite);
    return good ? w : undefined;
  } catch {
    return undefined; // none yet in this boot: the figures are left out, not made up
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Keep the walked figures for the cheap refreshes that follow (keepsake's own record). */
export function saveWalked(root: string, walked: Walked): void {
  const dir = hostPath(root, '/run/keepsake');
  if (!lstatOrNull(dir)) mkdirSafe(dir, 0, 0, 0o700);
  writeFileAtomicSafe(`${dir}/metrics-walked.json`, `${JSON.stringify(walked)}\n`, 0o644);
}

/** The undeclared and escaped totals, as `keepsake diff` with no path reports them, and the
 *  orphaned bytes, as `keepsake orphans` lists them. */
export function walkTrees(model: Model, root: string): Walked {
  const report = scanLiveSystem(model, root, { paths: [], depth: 0, all: false });
  const orphans = survey(model, root).orphans;
  return {
    version: 1,
    at: Date.now() / 1000,
    undeclaredFiles: report.roots.reduce((n, r) => n + r.files, 0),
    undeclaredBytes: report.roots.reduce((n, r) => n + r.bytes, 0),
    escaped: report.escaped.length,
    orphanBytes: orphans.reduce((n, o) => n + o.bytes, 0),
  };
}

/**
 * Every figure. `walk`: walk the trees for the diff and orphan figures now; otherwise keep
 * those of the last full run of this boot. `root` is the resolved root.
 */
export async function collectFigures(
  model: Model,
  root: string,
  configFile: string,
  walk: boolean,
): Promise<Figures> {
  const { plan } = await preparePlan({ configFile, root, model });
  const entries = { ok: 0, pending: 0, refused: 0 };
  const live: Record<LiveState, number> = {
    mounted: 0,
    linked: 0,
    covered: 0,
    missing: 0,
    'wrong-source': 0,
    shadowed: 0,
    occupied: 0,
  };
  for (const e of judge(plan).entries) {
    entries[e.state]++;
    live[e.live]++;
  }
  const lastApply = readLastApply(root);
  const walked = walk ? walkTrees(model, root) : readWalked(root);
  return {
    entries,
    live,
    // What the last apply left out, as it recorded it: status's `lastSkipped`.
    skipped: readApplied(root)?.skipped?.length ?? 0,
    ...(lastApply ? { lastApply } : {}),
    salvagedBytes: salvagedBytes(model, root),
    ...(walked ? { walked } : {}),
  };
}
