// The diff measurements, run inside a private mount namespace started by the benchmark's
// parent: a tmpfs store at <root>/persist, the declared paths bind-mounted from it by
// `keepsake apply`, then GNU find and `keepsake diff` in turns over the same tree, warm.
// Prints one JSON line.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { type DiffTree, writeDiffTree } from './diff-tree.js';
import { run, spawnTimed, timed } from './proc.js';

export interface DiffSpec {
  root: string;
  /** Where the tree's configuration is written. */
  configFile: string;
  cli: string;
  runs: number;
  /** Where the CLI writes its peak RSS (a preloaded module does, at exit). */
  rssFile: string;
  work: string;
}

export interface DiffRunResult {
  /** The tree written, with what the scan must find in it. */
  tree: DiffTree;
  applyMs: number;
  mounts: number;
  findMs: number[];
  findNoSizeMs: number[];
  diffMs: number[];
  /** Peak resident set of each `keepsake diff`, in KiB. */
  diffRssKiB: number[];
  startupMs: number[];
  summary: { files: number; bytes: number; escaped: number; backend: string };
  lines: number;
}

const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as DiffSpec;
const { root, cli } = spec;
// The root a tmpfs, as on an impermanent system (what diff walks), then the store another.
run('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'bench-root', root]);
const tree = writeDiffTree(root);
fs.writeFileSync(spec.configFile, tree.config);
run('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', `${root}/persist`]);
for (const f of tree.declaredFiles) {
  fs.mkdirSync(path.dirname(`${root}/persist${f}`), { recursive: true });
  fs.writeFileSync(`${root}/persist${f}`, '');
}
const out = path.join(spec.work, 'out.txt');
const applyMs = timed([cli, 'apply', '--root', root, '--config', spec.configFile], out).ms;
const mounts = fs
  .readFileSync('/proc/self/mountinfo', 'utf8')
  .split('\n')
  .filter((l) => l.split(' ')[4]?.startsWith(`${root}/`)).length;

// Peak RSS from inside the measured process, at exit (no /usr/bin/time needed). A CommonJS
// preload: an ES module one (--import) would load Node's ES module loader into every run, some
// 20 ms that a plain diff (a CommonJS file) does not otherwise spend.
const preload = path.join(spec.work, 'rss.cjs');
fs.writeFileSync(
  preload,
  `const { writeFileSync } = require('node:fs');\nprocess.on('exit', () => writeFileSync(${JSON.stringify(spec.rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
);
const diffArgs = (extra: string[]) => [
  `--require=${preload}`,
  cli,
  'diff',
  '--root',
  root,
  '--config',
  spec.configFile,
  ...extra,
];
const find = (format: string) => spawnTimed('find', [root, '-xdev', '-printf', format]);
const diffStatus = (args: string[]) => {
  // diff exits 1 on escaped state; there must be none here, so any failure is one.
  return timed(diffArgs(args), out);
};

find('%s %p\n'); // warm the caches
const result: DiffRunResult = {
  tree,
  applyMs,
  mounts,
  findMs: [],
  findNoSizeMs: [],
  diffMs: [],
  diffRssKiB: [],
  startupMs: [],
  summary: { files: 0, bytes: 0, escaped: 0, backend: '' },
  lines: 0,
};
for (let i = 0; i < spec.runs; i++) {
  result.findMs.push(find('%s %p\n'));
  const d = diffStatus([]);
  result.diffMs.push(d.ms);
  result.lines = d.stdout.split('\n').length - 1;
  result.diffRssKiB.push(Number(fs.readFileSync(spec.rssFile, 'utf8')));
  result.findNoSizeMs.push(find('%p\n'));
  result.startupMs.push(timed(['-e', '0'], out).ms);
}
const json = diffStatus(['--json', '--depth', '0']).stdout.trim().split('\n');
result.summary = JSON.parse(json.at(-1) ?? '{}');
process.stdout.write(`${JSON.stringify(result)}\n`);
