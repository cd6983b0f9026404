// The files a report lists one by one are packed per directory from the walk until the report
// is written (file-nodes.ts). The report must be the one the walk gave when it made a node for
// each file as it went: the same text and the same JSON, byte for byte. The per-node form is
// made here from the tree itself, as the walk made it then.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { displayBytes } from '../../src/core/display.js';
import { Aggregator } from '../../src/diff/aggregate.js';
import { childrenOf } from '../../src/diff/file-nodes.js';
import {
  formatLines,
  formatTree,
  jsonRecords,
  type SortKey,
  type ViewOptions,
} from '../../src/diff/format.js';
import { buildIgnoreRules, ignoredBy } from '../../src/diff/ignore.js';
import {
  KIND_DIRECTORY,
  KIND_ERROR,
  KIND_FILE,
  KIND_OTHER,
  KIND_SYMLINK,
  type Listing,
  type WalkPath,
} from '../../src/diff/listing.js';
import { buildPruning } from '../../src/diff/scan.js';
import type { DiffNode, DiffReport } from '../../src/diff/types.js';
import { MAX_FILE_NODES, Walk } from '../../src/diff/walk.js';
import { mount } from '../helpers/builders.js';

const BOOT = Date.parse('2026-12-06T08:00:00Z');
const OLD = BOOT - 86_400_000 + 0.123456;
const NEW = BOOT + 60_000.654321;

interface Entry {
  size: number;
  mtimeMs: number;
  kind: 'file' | 'symlink' | 'other';
}
/** Names are their bytes, one character each (latin1): some are not UTF-8. */
type Tree = { [name: string]: Tree | Entry | 'denied' };

const utf8 = (s: string) => Buffer.from(s).toString('latin1');
const file = (size: number, mtimeMs = OLD): Entry => ({ size, mtimeMs, kind: 'file' });

function isEntry(v: Tree[string]): v is Entry {
  return typeof v === 'object' && typeof (v as Entry).kind === 'string';
}

/** A directory of 1,005 files (ties in size among them) and a declared one: 5 go unlisted. */
function many(): Tree {
  const out: Tree = { declared: file(1) };
  for (let i = 0; i < MAX_FILE_NODES + 5; i++)
    out[`f${String(i).padStart(4, '0')}`] = file((i * 37) % 1500, i % 3 === 0 ? NEW : OLD);
  return out;
}

const TREE: Tree = {
  etc: {
    keep: file(1),
    hosts: file(10),
    'bad\xffname': file(4, NEW),
    [utf8('café')]: file(7),
    'new\nline': file(3, NEW),
    link: { size: 12, mtimeMs: OLD, kind: 'symlink' },
    fifo: { size: 0, mtimeMs: NEW, kind: 'other' },
    'x.tmp': file(9),
    sub: { a: file(5) },
    // Shown alike (\xff), the same size: only the walk's order, directories first, tells
    // them apart.
    '\\xff': { q: file(6) },
    '\xff': file(6),
  },
  big: many(),
  // Not UTF-8, and not whole (an entry in it cannot be examined): its files' paths are bytes.
  'd\xffir': { 'f\xfe': file(2), plain: file(2, NEW), secret: 'denied' },
  var: { lib: { keep: file(1), db: file(30), 'db.tmp': file(8), app: { x: file(1) } } },
  a: file(10),
  b: file(10, NEW),
};

const DECLARED = ['/etc/keep', '/big/declared', '/var/lib/keep'];

/** A reader over `tree` rooted at `root`, with names as bytes where they are not UTF-8. */
function reader(root: string, tree: Tree) {
  const skip = root === '/' ? 0 : Buffer.byteLength(root);
  return (path: WalkPath): Listing => {
    const rel = Buffer.from(path).subarray(skip).toString('latin1');
    let node: Tree = tree;
    for (const c of rel.split('/').filter(Boolean)) node = node[c] as Tree;
    const entries = Object.entries(node);
    const kind = (v: Tree[string]) =>
      v === 'denied'
        ? KIND_ERROR
        : !isEntry(v)
          ? KIND_DIRECTORY
          : { file: KIND_FILE, symlink: KIND_SYMLINK, other: KIND_OTHER }[v.kind];
    const at = (i: number) => entries[i]![1];
    const bytes = (i: number) => Buffer.from(entries[i]![0], 'latin1');
    return {
      length: entries.length,
      kind: (i) => kind(at(i)),
      size: (i) => {
        const v = at(i);
        return v === 'denied' ? 13 : isEntry(v) ? v.size : 0;
      },
      mtimeMs: (i) => {
        const v = at(i);
        return isEntry(v) ? v.mtimeMs : 0;
      },
      name: (i) => bytes(i).toString('utf8'),
      nameBytes: (i) => {
        const b = bytes(i);
        return Buffer.from(b.toString('utf8')).equals(b) ? undefined : b;
      },
    };
  };
}

const RULES = buildIgnoreRules(
  [
    {
      pattern: '*.tmp',
      base: '/',
      source: { file: 'k.yaml', line: 4, column: 7, option: 'ignore[0]' },
    },
  ],
  { defaults: false },
);

function scan(root: string, all: boolean, tree = TREE, declared = DECLARED): DiffReport {
  const mounts = [mount('/', '8:1'), mount(root, '0:50', '/', { fsType: 'tmpfs' })];
  const agg = new Aggregator({ depth: 3, bootMs: BOOT });
  const walk = new Walk(agg, {
    read: reader(root, tree),
    root,
    pruning: buildPruning(root, declared, ['/persist'], mounts),
    rules: RULES,
    showIgnored: all,
  });
  const node = walk.run(root);
  return {
    bootMs: BOOT,
    roots: [node],
    escaped: [],
    skipped: walk.result.skipped,
    errors: walk.result.errors,
    ignored: agg.ignored,
    backend: 'native',
    ephemeral: [{ path: '/', fsType: 'tmpfs', why: 'memory' }],
    persistent: [],
  };
}

/** The path of `names` below the root as the walk gives it: text, or bytes shown escaped. */
function nameOf(names: string[]): { path: string; pathBase64?: string } {
  const bytes = Buffer.from(`/${names.join('/')}`, 'latin1');
  const text = bytes.toString('utf8');
  if (Buffer.from(text).equals(bytes)) return { path: text };
  return { path: displayBytes(bytes), pathBase64: bytes.toString('base64') };
}

/** The files of a directory the walk lists one by one, in its order: the 1,000 largest. */
function listedFiles(dir: Tree, at: string[], all: boolean): DiffNode[] {
  const files: Array<{ name: string; e: Entry; ignored?: string }> = [];
  for (const [name, v] of Object.entries(dir)) {
    if (!isEntry(v)) continue;
    const { path } = nameOf([...at, name]);
    if (DECLARED.includes(path)) continue;
    const rule = ignoredBy(RULES, path, false);
    if (rule !== undefined && !all) continue;
    files.push(rule === undefined ? { name, e: v } : { name, e: v, ignored: rule.origin });
  }
  const kept =
    files.length > MAX_FILE_NODES
      ? files
          .map((f, i) => ({ f, i }))
          .sort((a, b) => b.f.e.size - a.f.e.size || a.i - b.i)
          .slice(0, MAX_FILE_NODES)
          .map(({ f }) => f)
      : files;
  // Each node as Aggregator.fileNode made it: its fields in the order they are printed.
  return kept.map(({ name, e, ignored }) => {
    const { path, pathBase64 } = nameOf([...at, name]);
    const node: DiffNode = {
      path,
      kind: e.kind,
      files: 1,
      directories: 0,
      bytes: e.size,
      changed: e.mtimeMs > BOOT ? 1 : 0,
      newestMs: e.mtimeMs,
      whole: true,
    };
    if (pathBase64 !== undefined) node.pathBase64 = pathBase64;
    if (ignored !== undefined) node.ignored = ignored;
    return node;
  });
}

/** The report with each listed file a node among its directory's children, after them. */
function perNode(report: DiffReport, all: boolean): DiffReport {
  const convert = (node: DiffNode, dir: Tree, at: string[]): DiffNode => {
    const { children, listed, ...fields } = node;
    const out: DiffNode = { ...fields };
    const kids = (children ?? []).map((c) => {
      const name = Object.keys(dir).find((n) => nameOf([...at, n]).path === c.path);
      assert.ok(name !== undefined, c.path);
      return convert(c, dir[name] as Tree, [...at, name]);
    });
    if (listed !== undefined) kids.push(...listedFiles(dir, at, all));
    if (kids.length > 0) out.children = kids;
    return out;
  };
  return { ...report, roots: report.roots.map((r) => convert(r, TREE, [])) };
}

type View = ViewOptions & { all: boolean };
const VIEWS: View[] = [
  ...(['size', 'path', 'mtime'] as SortKey[]).flatMap((sort) =>
    [0, 5].map((minSize): View => ({ sort, minSize, homes: [], all: false })),
  ),
  { sort: 'size', minSize: 0, homes: [{ user: 'jane', path: '/etc' }], all: false },
];

const paint = (style: string, text: string) => `<${style}>${text}</>`;

describe('files listed one by one, packed', () => {
  for (const root of ['/r', '/', '/r\u00fc']) {
    for (const all of [false, true]) {
      test(`the same report as with a node per file (root ${root}${all ? ', --all' : ''})`, () => {
        const packed = scan(root, all);
        const old = perNode(packed, all);
        for (const view of VIEWS) {
          const v = { ...view, all };
          assert.deepStrictEqual(formatLines(packed, v), formatLines(old, v));
          assert.deepStrictEqual(formatTree(packed, v, paint), formatTree(old, v, paint));
          const records = jsonRecords(packed, v);
          assert.deepStrictEqual(records, jsonRecords(old, v));
          // Field by field in the printed order too.
          assert.deepStrictEqual(
            records.map((r) => JSON.stringify(r)),
            jsonRecords(old, v).map((r) => JSON.stringify(r)),
          );
        }
      });
    }
  }

  test('the lines of odd files, links, fifos, changed files and the unlisted rest', () => {
    const lines = formatLines(scan('/r', true), VIEWS[0]!);
    for (const line of [
      "       4 B  /etc/bad\\xffname  (file, changed since boot)  keepsake add $'/etc/bad\\xffname'",
      "       7 B  /etc/café  (file)  keepsake add '/etc/café'",
      "       3 B  /etc/new\\nline  (file, changed since boot)  keepsake add $'/etc/new\\nline'",
      '      12 B  /etc/link  (symlink)',
      '       0 B  /etc/fifo  (other, changed since boot)',
      '       9 B  /etc/x.tmp  (file, ignored by ignore[0] (k.yaml:4))',
      "       2 B  /d\\xffir/f\\xfe  (file)  keepsake add $'/d\\xffir/f\\xfe'",
      "       2 B  /d\\xffir/plain  (file, changed since boot)  keepsake add $'/d\\xffir/plain'",
      '      30 B  /var/lib/db  (file)  keepsake add /var/lib/db',
    ]) {
      assert.ok(lines.includes(line), line);
    }
    const big = lines.find((l) => l.includes('  /big  '));
    assert.match(
      big ?? '',
      /1005 files, 335 changed since boot, 5 smaller files \(\d+ B\) not listed/,
    );
    const records = jsonRecords(scan('/r', false), VIEWS[0]!) as Array<Record<string, unknown>>;
    const odd = records.find((r) => r.path === '/d\\xffir/f\\xfe');
    assert.equal(
      Buffer.from(String(odd?.pathBase64), 'base64').toString('latin1'),
      '/d\xffir/f\xfe',
    );
  });

  test('no object or path per file is kept until the report is written', () => {
    // What the report holds, counted: each object and array (a typed array is one), and each
    // string in them.
    const held = (value: unknown): number => {
      if (typeof value === 'string') return 1;
      if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return 0;
      return 1 + Object.values(value).reduce((n: number, v) => n + held(v), 0);
    };
    const withFiles = (n: number) => {
      const dir: Tree = { declared: file(1) };
      for (let i = 0; i < n; i++) dir[`f${i}`] = file(i, i % 2 ? NEW : OLD);
      const report = scan('/r', false, { dir }, ['/dir/declared']);
      const listed = childrenOf(report.roots[0]!.children![0]!);
      assert.equal(listed.length, n, 'every file is still listed');
      return held(report.roots);
    };
    assert.equal(withFiles(1000), withFiles(10));
  });
});
