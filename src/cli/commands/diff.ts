import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { normaliseAbsolute } from '../../config/paths.js';
import { readBootTimeMs } from '../../diff/boot.js';
import { readLiveTargets } from '../../diff/escaped.js';
import { formatLines, formatTree, jsonRecords } from '../../diff/format.js';
import { directoryReader } from '../../diff/listing.js';
import { displayPath } from '../../diff/names.js';
import { parseDepth, parseSize, parseSort } from '../../diff/options.js';
import { declaredTargets, ephemeralMountPoints, scanUndeclared } from '../../diff/scan.js';
import { UsageError } from '../../errors.js';
import { readMountInfo } from '../../observe/mountinfo.js';
import type { CommonOptions } from '../main.js';
import type { Output } from '../output.js';

interface DiffOptions extends CommonOptions {
  args: string[];
  all?: boolean;
  depth?: string;
  minSize?: string;
  sort?: string;
}

/** What lives on the ephemeral file systems and is not declared. Read-only; exit 1 on escaped state. */
export async function run(opts: DiffOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const asked = (opts.args.length > 0 ? opts.args : ['/']).map((p) => {
    if (/^\/+$/.test(p)) return '/';
    const n = normaliseAbsolute(p);
    if (!n.ok) throw new UsageError(`${p}: ${n.message}`, n.hint);
    return n.path;
  });
  const view = {
    sort: parseSort(opts.sort ?? 'size'),
    minSize: parseSize(opts.minSize ?? '0'),
    all: opts.all === true,
    depth: parseDepth(opts.depth ?? '3'),
  };
  const model = await loadModel(opts.config, { root, verbose: opts.verbose, store: false });
  const mounts = readMountInfo();
  const declared = declaredTargets(model);
  // Without PATHs: the root and every other ephemeral file system in it (a tmpfs /home).
  const found =
    opts.args.length > 0 ? [] : ephemeralMountPoints(root, mounts, model.stores, declared);
  const paths = [...asked, ...found];
  const reader = directoryReader();
  let shownAt = 0;
  const progress = (entries: number, dir: string) => {
    const now = Date.now();
    if (now - shownAt < 100) return; // ten updates a second at most
    shownAt = now;
    out.progress(`${entries} entries  ${displayPath(dir)}`);
  };
  const report = scanUndeclared({
    root,
    paths,
    found,
    model,
    declared,
    mounts,
    liveTargets: readLiveTargets(root),
    bootMs: readBootTimeMs(),
    depth: view.depth,
    all: view.all,
    read: reader.read,
    backend: reader.backend,
    onProgress: progress,
  });
  out.progress(undefined);
  const homes = model.entries.flatMap((e) => (e.home ? [e.home] : []));
  const shown = { ...view, homes: homes.map((h) => ({ user: h.user, path: h.path })) };
  // One write: a report can have tens of thousands of lines.
  if (out.json)
    out.line(
      jsonRecords(report, shown)
        .map((v) => JSON.stringify(v))
        .join('\n'),
    );
  else if (out.terminal) out.line(formatTree(report, shown, out.paint).join('\n'));
  else out.line(formatLines(report, shown).join('\n'));
  return report.escaped.length > 0 ? 1 : 0;
}
