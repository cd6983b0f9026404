// The diff part of `npm run bench`: `keepsake diff` (the CLI, start-up included) over a tree
// of 500,000 entries with 1,000 declared paths bind-mounted from a store, against GNU
// `find -xdev -printf '%s %p\n'` over the same tree in the same namespace, in turns, warm.
// That baseline lists every path with its size, as the report needs every file's size; plain
// `find -xdev` (no stat per entry) is shown for reference. Targets: at most 1.1x the
// baseline's time, and a peak RSS under 150 MB.

import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiffRunResult, DiffSpec } from './diff-child.js';
import { type PartContext, type PartResult, ratio, runChild, Table } from './parent.js';
import { median } from './proc.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'diff-child.js');
const TARGET_RATIO = 1.1;
const TARGET_RSS_MB = 150;

export function runDiff(ctx: PartContext): PartResult {
  const root = path.join(ctx.work, 'root');
  fs.mkdirSync(root);
  const spec: DiffSpec = {
    root,
    configFile: path.join(ctx.work, 'keepsake.yaml'),
    cli: ctx.cli,
    runs: Math.max(ctx.runs, 5),
    rssFile: path.join(ctx.work, 'rss'),
    work: ctx.work,
  };
  // The tree is written in the child's namespace, on a tmpfs mounted at the root, as an
  // impermanent system's root is: diff walks only what the next boot wipes, and a root on a
  // disk (a /tmp that is one) would give it nothing to find.
  ctx.progress(
    `diff: a tree of 500,000 entries on a tmpfs, then ${spec.runs} runs of find and keepsake diff in turns\n`,
  );
  const r = runChild<DiffRunResult>(CHILD, spec, path.join(ctx.work, 'diff.json'), ctx.env, 'diff');
  const { tree } = r;
  const declared = tree.declaredDirs.length + tree.declaredFiles.length;
  if (r.mounts !== declared + 1) {
    throw new Error(`apply left ${r.mounts} mounts under the root, not ${declared + 1}`);
  }
  const s = r.summary;
  if (s.files !== tree.undeclaredFiles || s.bytes !== tree.undeclaredBytes || s.escaped !== 0) {
    throw new Error(
      `keepsake diff found ${s.files} files (${s.bytes} bytes, ${s.escaped} escaped), not ${tree.undeclaredFiles} (${tree.undeclaredBytes} bytes, none escaped)`,
    );
  }
  const m = {
    findMs: median(r.findMs),
    findNoSizeMs: median(r.findNoSizeMs),
    diffMs: median(r.diffMs),
    startupMs: median(r.startupMs),
    rssMB: Math.max(...r.diffRssKiB) / 1024,
  };
  const rat = m.diffMs / m.findMs;
  const pass = { ratio: rat <= TARGET_RATIO, rss: m.rssMB < TARGET_RSS_MB };
  const t = new Table();
  t.text(
    `keepsake diff: ${tree.entries} entries, ${declared} declared paths bind-mounted (${tree.declaredDirs.length} directories, ${tree.declaredFiles.length} files), directories read by the ${s.backend} reader${s.backend === 'native' && availableParallelism() > 1 ? ' (the next ones read ahead on a second thread)' : ''}`,
    `  found ${s.files} undeclared files, ${s.bytes} bytes (checked); report of ${r.lines} lines (depth 3)`,
    '',
  );
  t.row("find -xdev -printf '%s %p\\n' (baseline)", m.findMs, r.findMs);
  t.row("find -xdev -printf '%p\\n' (no sizes)", m.findNoSizeMs, r.findNoSizeMs);
  t.row('keepsake diff (CLI process)', m.diffMs, r.diffMs);
  t.row('node -e 0', m.startupMs, r.startupMs);
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  t.text(
    '',
    `  ratio keepsake diff / baseline               ${ratio(rat).padStart(8)}   target <= ${TARGET_RATIO}x   ${verdict(pass.ratio)}`,
    `  peak RSS of keepsake diff                   ${`${m.rssMB.toFixed(0)} MB`.padStart(8)}   target < ${TARGET_RSS_MB} MB   ${verdict(pass.rss)}`,
    "  (the baseline prints every path with its size: the report needs every file's size, so both stat every file)",
  );
  return {
    report: { measured: m, runs: r, ratio: rat, pass },
    text: t.lines.join('\n'),
    code: pass.ratio && pass.rss ? 0 : 1,
  };
}
