import { loadModel } from '../../apply/model-cache.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { normaliseAbsolute } from '../../config/paths.js';
import { displayPath } from '../../core/display.js';
import { eachRecord, formatTree, writeLines } from '../../diff/format.js';
import { reportHomes, scanLiveSystem } from '../../diff/live.js';
import { parseDepth, parseSize, parseSort } from '../../diff/options.js';
import { UsageError } from '../../errors.js';
import { describePreview, previewSalvage } from '../../salvage/preview.js';
import type { DiffOptions } from '../declare/diff.js';
import type { Output } from '../output.js';

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
  // What the next shutdown's salvage keeps of it (only when no PATH narrows the scan).
  const salvage = paths.length === 0 ? previewSalvage(root, model) : undefined;
  if (out.json) {
    // Each written as it is made, as the lines below are; the salvage preview before the summary.
    out.records((emit) =>
      eachRecord(report, shown, (record) => {
        if (record.type === 'summary' && salvage !== undefined)
          emit('diff.salvage', { type: 'salvage', ...salvage });
        emit(`diff.${record.type}`, record);
      }),
    );
  } else if (out.quiet) {
    // Escaped state is what went wrong: said on stderr, the rest of the report left out.
    for (const e of report.escaped) out.error(`keepsake: ${e.target} escaped: ${e.fix}`);
  } else if (out.terminal) {
    const lines = formatTree(report, shown, out.paint);
    if (salvage !== undefined) lines.push(describePreview(salvage));
    out.line(lines.join('\n'));
  } else {
    // Line by line: the output gathers them into writes of 64 KiB (output.ts).
    writeLines(report, shown, (line) => out.line(line));
    if (salvage !== undefined) out.line(describePreview(salvage));
  }
  return report.escaped.length > 0 ? 1 : 0;
}
