// The add part of `npm run bench`: keepsake adopting a directory of 10,000 small files into
// /persist, with the store on the root's own file system (a rename) and on another one (a
// verified copy), against `cp -a` + `rm -rf` (and `mv`, on one file system) in the same run.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  AdoptCommand,
  AdoptMeasurement,
  AdoptMethod,
  AdoptResult,
  AdoptSpec,
  FsKind,
} from './adopt-child.js';
import { STORE, TARGET, TREE, totalBytes } from './adopt-tree.js';
import { makeLayout } from './layout.js';
import { ms, type PartContext, type PartResult, ratio, runChild, Table } from './parent.js';
import { median } from './proc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '../..');
const CHILD = path.join(here, 'adopt-child.js');

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/** `keepsake add` when it exists, else `apply --adopt`: both move data with the same code. */
function chooseCommand(cli: string): { command: AdoptCommand; why: string } {
  if (!fs.existsSync(path.join(REPO, 'src/cli/commands/add.ts'))) {
    return { command: 'apply-adopt', why: 'src/cli/commands/add.ts does not exist' };
  }
  const r = spawnSync(process.execPath, [cli, 'add', '--help'], { encoding: 'utf8' });
  if (r.status !== 0) {
    return {
      command: 'apply-adopt',
      why: `src/cli/commands/add.ts exists, but ${path.relative(REPO, cli)} has no add command (not built?)`,
    };
  }
  return { command: 'add', why: 'src/cli/commands/add.ts exists' };
}

/**
 * keepsake refuses a store on the root's own tmpfs (store-not-persistent), so the
 * same-file-system root is a directory on a disk file system: the work directory's, or
 * /var/tmp's.
 */
function diskParent(work: string): string | null {
  for (const d of [work, os.tmpdir(), '/var/tmp']) {
    try {
      const type = fs.statfsSync(d).type;
      if (type !== TMPFS_MAGIC && type !== RAMFS_MAGIC) return d;
    } catch {}
  }
  return null;
}

const rotate = <T>(xs: T[], n: number) => xs.map((_, i) => xs[(i + n) % xs.length]!);

export function runAdd(ctx: PartContext): PartResult {
  const { command, why } = chooseCommand(ctx.cli);
  const layout = makeLayout({ directories: 0, files: 0, symlinks: 0 });
  const root = path.join(ctx.work, 'root');
  const peek = path.join(ctx.work, 'peek');
  fs.mkdirSync(root);
  fs.mkdirSync(peek);
  const parent = diskParent(ctx.work);
  const disk = parent === null ? null : fs.mkdtempSync(path.join(parent, 'keepsake-bench-disk-'));
  const kinds: FsKind[] = disk === null ? ['across'] : ['same', 'across'];
  const methods = (k: FsKind): AdoptMethod[] => {
    if (!ctx.baseline) return ['keepsake'];
    return k === 'same' ? ['keepsake', 'cp', 'mv'] : ['keepsake', 'cp'];
  };
  const results: Record<FsKind, AdoptResult[]> = { same: [], across: [] };
  try {
    for (let i = 1; i <= ctx.runs; i++) {
      ctx.progress(`add run ${i}/${ctx.runs}:`);
      for (const k of kinds) {
        const spec: AdoptSpec = {
          fs: k,
          root,
          ...(k === 'same' ? { disk: disk! } : {}),
          peek,
          configFile: path.join(ctx.work, 'keepsake.yaml'),
          cli: ctx.cli,
          command,
          // Each method goes first in some run.
          order: rotate(methods(k), i - 1),
          passwd: layout.passwd,
          group: layout.group,
        };
        const r = runChild<AdoptResult>(
          CHILD,
          spec,
          path.join(ctx.work, `${k}.json`),
          ctx.env,
          `add (${k})`,
        );
        results[k].push(r);
        const parts = r.measurements.map((m) => `${m.method} ${m.ms.toFixed(0)} ms`).join(', ');
        ctx.progress(` ${k}: ${parts};`);
      }
      ctx.progress('\n');
    }
  } finally {
    if (disk !== null) fs.rmSync(disk, { recursive: true, force: true });
  }

  const of = (k: FsKind, m: AdoptMethod) =>
    results[k].flatMap((r) => r.measurements.filter((x) => x.method === m));
  const med = (xs: AdoptMeasurement[], f: (x: AdoptMeasurement) => number | undefined) =>
    xs.length === 0 ? null : median(xs.map((x) => f(x) ?? 0));
  const summary = (k: FsKind) => {
    if (results[k].length === 0) return null;
    const keep = of(k, 'keepsake');
    const cp = of(k, 'cp');
    const mv = of(k, 'mv');
    const medians = {
      keepsakeMs: med(keep, (x) => x.ms)!,
      cpRmMs: med(cp, (x) => x.ms),
      cpMs: med(cp, (x) => x.cpMs),
      rmMs: med(cp, (x) => x.rmMs),
      mvMs: med(mv, (x) => x.ms),
    };
    const first = results[k][0]!;
    return {
      rootFsType: first.rootFsType,
      storeFsType: first.storeFsType,
      ...(k === 'same' ? { diskDirectory: parent } : {}),
      keepsakeMoved: [...new Set(keep.map((x) => x.how))],
      medians,
      ratios: {
        keepsakeOverCpRm: medians.cpRmMs === null ? null : medians.keepsakeMs / medians.cpRmMs,
        keepsakeOverMv: medians.mvMs === null ? null : medians.keepsakeMs / medians.mvMs,
      },
      runs: {
        keepsake: keep.map((x) => x.ms),
        cpRm: cp.map((x) => x.ms),
        mv: mv.map((x) => x.ms),
      },
    };
  };
  const same = summary('same');
  const across = summary('across');
  const all = [...results.same, ...results.across];
  const startupMs = median(all.flatMap((r) => r.startupMs));
  const bytes = totalBytes();
  const report = {
    measured: command === 'add' ? 'keepsake add' : 'keepsake apply --adopt',
    why,
    tree: { ...TREE, bytes, target: TARGET, store: STORE },
    runs: ctx.runs,
    startupMs,
    same,
    across,
    raw: results,
  };

  const t = new Table();
  const cmd =
    command === 'add'
      ? `keepsake add ${TARGET} --store ${STORE}`
      : `keepsake apply --adopt, with ${TARGET} declared in ${STORE}`;
  t.text(
    `keepsake add: a directory of ${TREE.files} small files (${TREE.directories} directories, ${(bytes / 1e6).toFixed(1)} MB) at ${TARGET} moved into ${STORE} and mounted back`,
    `  measured: ${cmd} (${why}); ${command === 'add' ? 'apply --adopt' : 'add'} moves data with the same code`,
    `  keepsake's times are whole CLI processes (node -e 0 takes ${ms(startupMs)} ms); median of ${ctx.runs} run${ctx.runs > 1 ? 's' : ''}, each in a fresh namespace`,
    '  across file systems the tree is made afresh before each measurement; on one file system (a disk) it is made once',
    '  and renamed back from the store after each, then checked; everything written is flushed before each measurement',
  );
  const block = (s: NonNullable<ReturnType<typeof summary>>, k: FsKind) => {
    const how = s.keepsakeMoved.join('/');
    t.text(
      '',
      k === 'same'
        ? `  same file system: the root a bind of a directory on ${s.rootFsType} (under ${s.diskDirectory}), ${STORE} a directory inside it\n    (not a tmpfs: keepsake refuses a store on the root's own tmpfs, store-not-persistent)`
        : `  across file systems: the root on ${s.rootFsType}, ${STORE} on another ${s.storeFsType} mount`,
    );
    t.row(
      `keepsake (files ${how === 'rename' ? 'renamed: inodes kept' : how === 'copy' ? 'copied: new inodes' : how})`,
      s.medians.keepsakeMs,
      s.runs.keepsake,
    );
    t.row('  beyond node -e 0', s.medians.keepsakeMs - startupMs);
    if (s.medians.cpRmMs !== null) {
      t.row('baseline: cp -a, then rm -rf', s.medians.cpRmMs, s.runs.cpRm);
      t.row('  of which cp -a', s.medians.cpMs);
      t.row('  of which rm -rf', s.medians.rmMs);
    }
    if (s.medians.mvMs !== null) t.row('baseline: mv', s.medians.mvMs, s.runs.mv);
    if (s.ratios.keepsakeOverCpRm !== null) {
      t.text(
        `  ratio keepsake / (cp -a + rm -rf)            ${ratio(s.ratios.keepsakeOverCpRm).padStart(8)}`,
      );
    }
    if (s.ratios.keepsakeOverMv !== null) {
      t.text(
        `  ratio keepsake / mv                          ${ratio(s.ratios.keepsakeOverMv).padStart(8)}`,
      );
    }
  };
  if (same) block(same, 'same');
  else
    t.text(
      '',
      "  same file system: skipped, no directory off a tmpfs found (keepsake refuses a store on the root's tmpfs)",
    );
  if (across) block(across, 'across');
  const slower = across?.ratios.keepsakeOverCpRm ?? null;
  t.text(
    '',
    `  Across file systems keepsake is expected to be slower than cp -a + rm -rf${slower === null ? '' : slower > 1 ? `, and is here (${ratio(slower)})` : `, but was not here (${ratio(slower)})`}: it copies`,
    '  with cp -a, flushes the copy, reads every file on both sides again to compare type, owner, mode, size and',
    '  SHA-256, and only then removes the original; the baseline trusts cp and removes at once.',
    '  On one file system keepsake renames the entries of the directory; beyond start-up its time is planning (which',
    '  walks the tree to count what it moves), the move, and a bind mount; mv is a single rename(2).',
    `  checked after every run: all ${TREE.files} files in the store, ${TREE.sample} sampled ones with the SHA-256 of what they held;`,
    `  nothing left at ${TARGET}; keepsake's: ${TARGET} a mount showing the same files, empty beneath it, and the next`,
    '  apply plans 0 actions',
  );
  return { report, text: t.lines.join('\n'), code: 0 };
}
