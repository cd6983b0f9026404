import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { normaliseAbsolute } from '../../config/paths.js';
import { displayPath } from '../../core/display.js';
import { formatLines, formatTree, jsonRecords } from '../../diff/format.js';
import { reportHomes, scanLiveSystem } from '../../diff/live.js';
import { parseDepth, parseSize, parseSort } from '../../diff/options.js';
import { UsageError } from '../../errors.js';
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
  const paths = opts.args.map((p) => {
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
  let shownAt = 0;
  const progress = (entries: number, dir: string) => {
    const now = Date.now();
    if (now - shownAt < 100) return; // ten updates a second at most
    shownAt = now;
    out.progress(`${entries} entries  ${displayPath(dir)}`);
  };
  const report = scanLiveSystem(model, root, {
    paths,
    depth: view.depth,
    all: view.all,
    onProgress: progress,
  });
  out.progress(undefined);
  const shown = { ...view, homes: reportHomes(model) };
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
