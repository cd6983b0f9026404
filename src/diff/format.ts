// `keepsake diff` for people and for scripts: the undeclared paths as an indented tree (on a
// terminal) or as one line per path, largest first, each directory that can be kept whole
// with the `keepsake add` that keeps it; escaped state first and loudly; and one JSON object
// per line for scripts. Pure: returns lines and values.

import { displayPath, shellQuote } from '../core/display.js';
import { isWithin } from '../core/paths.js';
import { count, formatBytes } from '../core/text.js';
import { sizeColumn } from '../orphans/format.js';
import { childrenOf } from './file-nodes.js';
import type { DiffNode, DiffReport, EscapedState } from './types.js';

export type SortKey = 'size' | 'path' | 'mtime';
type Style = 'red' | 'green' | 'yellow' | 'dim' | 'bold' | 'cyan';

export interface ViewOptions {
  sort: SortKey;
  /** Paths below this many bytes are left out (the scanned paths themselves never are). */
  minSize: number;
  /** Homes by user, so that `keepsake add` declares home paths for their user. */
  homes: ReadonlyArray<{ user: string; path: string }>;
}

export interface Shown {
  node: DiffNode;
  depth: number;
  /** `keepsake add …`, for what can be persisted as one entry. */
  add?: string;
}

const COMPARE: Record<SortKey, (a: DiffNode, b: DiffNode) => number> = {
  size: (a, b) => b.bytes - a.bytes || COMPARE.path(a, b),
  path: (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  mtime: (a, b) => b.newestMs - a.newestMs || COMPARE.path(a, b),
};

/** The path for display: control characters and bytes that are not UTF-8 escaped. */
export function shownPath(node: DiffNode): string {
  return node.pathBase64 === undefined ? displayPath(node.path) : node.path;
}

function addCommand(node: DiffNode, view: ViewOptions): string | undefined {
  if (!node.whole || node.ignored !== undefined || node.unreadable !== undefined) return undefined;
  if (node.kind !== 'directory' && node.kind !== 'file') return undefined;
  const shown = shownPath(node);
  const path = shellQuote(shown, node.pathBase64 !== undefined || shown !== node.path);
  const home = view.homes.find((h) => isWithin(node.path, h.path) && node.path !== h.path);
  return `keepsake add ${path}${home ? ` --user ${home.user}` : ''}`;
}

/** A directory that only leads to declared paths: nothing in it is lost. */
function empty(node: DiffNode): boolean {
  return !node.whole && node.files === 0 && node.directories === 0 && node.unreadable === undefined;
}

/** The nodes to show, depth first, each directory's children in the chosen order. */
export function selectNodes(report: DiffReport, view: ViewOptions): Shown[] {
  const out: Shown[] = [];
  eachNode(report, view, (node, depth, add) =>
    out.push(add === undefined ? { node, depth } : { node, depth, add }),
  );
  return out;
}

/**
 * selectNodes, each node given to `show` as it is reached instead of gathered: a report can
 * have tens of thousands of lines, and each one made, written and dropped in turn is much less
 * for the garbage collector to carry than all of them held at once. The nodes of a directory's
 * listed files are made here, a directory at a time (file-nodes.ts).
 */
function eachNode(
  report: DiffReport,
  view: ViewOptions,
  show: (node: DiffNode, depth: number, add: string | undefined) => void,
): void {
  // Nothing the next boot keeps is ever suggested for persisting.
  const kept = new Set(report.persistent.map((p) => p.path));
  const visit = (node: DiffNode, depth: number, persistent: boolean) => {
    show(node, depth, depth > 0 && !persistent ? addCommand(node, view) : undefined);
    // Most nodes are files, with no children: no lists made for them.
    if (node.listed === undefined && (node.children === undefined || node.children.length === 0))
      return;
    const children = childrenOf(node).filter((c) => c.bytes >= view.minSize && !empty(c));
    for (const c of children.sort(COMPARE[view.sort])) visit(c, depth + 1, persistent);
  };
  for (const root of report.roots) visit(root, 0, kept.has(root.path));
}

/** The scanned trees the next boot wipes (those given by name may be persistent). */
export function ephemeralRoots(report: DiffReport): DiffNode[] {
  const kept = new Set(report.persistent.map((p) => p.path));
  return report.roots.filter((r) => !kept.has(r.path));
}

function counts(node: DiffNode): string {
  if (node.kind !== 'directory') return node.kind === 'file' ? '' : node.kind;
  const parts = [count(node.files, 'file')];
  if (node.directories > 0) parts.push(count(node.directories, 'directory', 'directories'));
  return parts.join(', ');
}

const NO_MARKS: readonly string[] = [];

function marks(node: DiffNode): readonly string[] {
  if (
    node.changed === 0 &&
    node.ignored === undefined &&
    node.unreadable === undefined &&
    node.unlisted === undefined
  ) {
    return NO_MARKS; // most nodes: no list made
  }
  const out: string[] = [];
  if (node.changed > 0) {
    out.push(
      node.kind === 'directory' ? `${node.changed} changed since boot` : 'changed since boot',
    );
  }
  if (node.ignored !== undefined) out.push(`ignored by ${node.ignored}`);
  if (node.unreadable !== undefined) out.push(`unreadable: ${node.unreadable}`);
  if (node.unlisted !== undefined) {
    const { files, bytes } = node.unlisted;
    out.push(`${count(files, 'smaller file')} (${formatBytes(bytes)}) not listed one by one`);
  }
  return out;
}

function escapedLines(escaped: readonly EscapedState[], paint: Paint): string[] {
  if (escaped.length === 0) return [];
  const lines = [
    paint(
      'red',
      `ESCAPED STATE: ${count(escaped.length, 'persisted path')} ${escaped.length === 1 ? 'holds' : 'hold'} data on the ephemeral file system, lost at reboot:`,
    ),
  ];
  for (const e of escaped) {
    const why = {
      'not-mounted': `not mounted from ${e.store}`,
      'link-replaced': `the link into ${e.store} was replaced by a ${e.found === 'file' ? 'regular file' : e.found}`,
      'not-applied': 'declared, but keepsake has not set it up in this boot',
    }[e.reason];
    const what = e.found === 'directory' ? `${count(e.files, 'file')}, ` : '';
    lines.push(paint('red', `  ${displayPath(e.target)}: ${why} (${what}${formatBytes(e.bytes)})`));
    lines.push(`    fix: ${e.fix}`);
  }
  lines.push('');
  return lines;
}

type Paint = (style: Style, text: string) => string;

function footer(report: DiffReport, all: boolean, paint: Paint): string[] {
  const lines: string[] = [];
  for (const s of report.skipped) {
    lines.push(
      paint(
        'dim',
        `not scanned: ${displayPath(s.path)} (${s.fsType}, another file system; give it as a PATH to scan it)`,
      ),
    );
  }
  for (const e of report.errors) lines.push(paint('yellow', `${displayPath(e.path)}: ${e.reason}`));
  for (const p of report.persistent) {
    lines.push(
      paint(
        'green',
        `kept at reboot: ${displayPath(p.path)} is on a persistent file system (${p.fsType}); nothing in it is lost`,
      ),
    );
  }
  const roots = ephemeralRoots(report);
  if (roots.length === 0) {
    lines.push(
      paint(
        'bold',
        report.ephemeral.length === 0
          ? 'nothing here is ephemeral: no memory-backed file system, and no path declared `ephemeral`, so the next boot wipes nothing'
          : 'nothing scanned is ephemeral: the next boot wipes nothing of it',
      ),
    );
    if (report.ephemeral.length === 0)
      lines.push(
        paint(
          'dim',
          'a root rolled back to a blank snapshot at boot is declared in the configuration: ephemeral: [ / ]',
        ),
      );
    return lines;
  }
  let files = 0;
  let bytes = 0;
  let changed = 0;
  for (const r of roots) {
    files += r.files;
    bytes += r.bytes;
    changed += r.changed;
  }
  const total = `undeclared: ${count(files, 'file')}, ${formatBytes(bytes)}; ${changed} changed since boot`;
  lines.push(
    paint('bold', total) +
      (all
        ? ` (of which ignored: ${count(report.ignored.files, 'file')}, ${formatBytes(report.ignored.bytes)})`
        : paint('dim', ' (ignored paths left out; --all shows them)')),
  );
  return lines;
}

/** The report as an indented tree, names relative to their parent, for a terminal. */
export function formatTree(
  report: DiffReport,
  view: ViewOptions & { all: boolean },
  paint: Paint,
): string[] {
  const lines = escapedLines(report.escaped, paint);
  const names: string[] = [];
  eachNode(report, view, (node, depth, addCmd) => {
    const full = shownPath(node);
    names[depth] = full;
    const parent = depth > 0 ? names[depth - 1]! : '';
    const name = depth === 0 ? full : full.slice(parent === '/' ? 1 : parent.length + 1);
    const label =
      node.kind === 'directory' ? paint('bold', name.endsWith('/') ? name : `${name}/`) : name;
    const extra = [counts(node), ...marks(node)].filter((x) => x !== '');
    const tail = extra.length > 0 ? `  ${paint('dim', extra.join(', '))}` : '';
    const add = addCmd === undefined ? '' : `  ${paint('cyan', `→ ${addCmd}`)}`;
    const changed = node.changed > 0 ? paint('yellow', '*') : ' ';
    lines.push(`${sizeColumn(node.bytes)} ${changed} ${'  '.repeat(depth)}${label}${tail}${add}`);
  });
  lines.push('', ...footer(report, view.all, paint));
  return lines;
}

/** The report as one line per path (full paths), for pipes. */
export function formatLines(report: DiffReport, view: ViewOptions & { all: boolean }): string[] {
  const lines: string[] = [];
  writeLines(report, view, (line) => lines.push(line));
  return lines;
}

/** formatLines, each line given to `emit` as it is made (see eachNode). */
export function writeLines(
  report: DiffReport,
  view: ViewOptions & { all: boolean },
  emit: (line: string) => void,
): void {
  const plain: Paint = (_style, text) => text;
  for (const line of escapedLines(report.escaped, plain)) emit(line);
  eachNode(report, view, (node, _depth, add) => {
    const kind = node.kind === 'directory' ? counts(node) : node.kind;
    const m = marks(node);
    const what = m.length === 0 ? kind : `${kind}, ${m.join(', ')}`;
    emit(
      `${sizeColumn(node.bytes)}  ${shownPath(node)}  (${what})${add === undefined ? '' : `  ${add}`}`,
    );
  });
  for (const line of footer(report, view.all, plain)) emit(line);
}

/** A record of `diff --json`, by its type; its fields are the type's (records.ts). */
export interface DiffRecord {
  type: 'escaped' | 'path' | 'skipped' | 'error' | 'summary';
  [field: string]: unknown;
}

/** One JSON value per line: each shown path, escaped entries, skipped mounts, errors, a summary. */
export function jsonRecords(report: DiffReport, view: ViewOptions): DiffRecord[] {
  const out: DiffRecord[] = [];
  eachRecord(report, view, (record) => out.push(record));
  return out;
}

/** jsonRecords, each value given to `emit` as it is made (see eachNode). */
export function eachRecord(
  report: DiffReport,
  view: ViewOptions,
  emit: (record: DiffRecord) => void,
): void {
  for (const e of report.escaped) emit({ type: 'escaped', ...e });
  eachNode(report, view, (shown, depth, add) => {
    const { children: _children, listed: _listed, ...node } = shown;
    emit({ type: 'path', depth, ...node, ...(add ? { add } : {}) });
  });
  for (const s of report.skipped) emit({ type: 'skipped', ...s });
  for (const e of report.errors) emit({ type: 'error', ...e });
  emit({
    type: 'summary',
    bootTime: new Date(report.bootMs).toISOString(),
    files: ephemeralRoots(report).reduce((n, r) => n + r.files, 0),
    bytes: ephemeralRoots(report).reduce((n, r) => n + r.bytes, 0),
    ephemeral: report.ephemeral,
    persistent: report.persistent,
    escaped: report.escaped.length,
    ignored: report.ignored,
    backend: report.backend,
  });
}
