// The walk over an ephemeral tree: depth first, one directory read per directory, and one
// lstat per non-directory (inside the reader). It never follows a link and never enters a
// pruned path: another file system's mount point, a pseudo file system, a store, or anything
// declared. Pruning is a lookup in a set of exact paths, made only in directories on the way
// to a pruned path; ignore rules are matched only where one can still apply.

import { getSystemErrorName } from 'node:util';
import { displayBytes } from '../core/display.js';
import { describeErrno } from '../core/errno.js';
import type { Aggregator, EntryFacts, NodeName } from './aggregate.js';
import { type IgnoreRule, ignoredBy, rulesInside } from './ignore.js';
import {
  childOf,
  KIND_DIRECTORY,
  KIND_ERROR,
  KIND_FILE,
  KIND_SYMLINK,
  type Listing,
  type ReadAhead,
  type ReadDirectory,
  type WalkPath,
} from './listing.js';
import type { DiffNode, NodeKind, ScanError, SkippedMount } from './types.js';

/** Why a path is not entered. Mounts of other file systems are reported as skipped. */
export type PruneReason =
  | { why: 'declared' | 'store' | 'pseudo' }
  | { why: 'mount'; fsType: string };

export interface Pruning {
  /** Host paths (under `--root`) that are not entered. */
  paths: ReadonlyMap<string, PruneReason>;
  /** Every strict ancestor of those paths: only their entries need a lookup. */
  ancestors: ReadonlySet<string>;
}

export interface WalkOptions {
  read: ReadDirectory;
  /** Given, the subdirectories to be entered are handed to it before the walk enters them. */
  ahead?: ReadAhead;
  /** `--root`, a real directory; `/` for the running system. */
  root: string;
  pruning: Pruning;
  rules: readonly IgnoreRule[];
  /** Walk ignored paths too, marked (`--all`). */
  showIgnored: boolean;
  /** Called every few hundred directories with the count of entries seen so far. */
  onProgress?: (entries: number, dir: string) => void;
  /** Called for every non-directory counted, with its name: salvage lists files one by one. */
  onFile?: (name: NodeName, host: WalkPath, facts: EntryFacts) => void;
}

/** Files listed one by one in a directory; beyond this many, the largest are. */
export const MAX_FILE_NODES = 1000;

export interface WalkResult {
  errors: ScanError[];
  skipped: SkippedMount[];
  entries: number;
}

/** Every strict ancestor of each path: `['/a/b/c']` → `/`, `/a`, `/a/b`. */
export function ancestorsOfAll(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) out.add(p.slice(0, i));
    out.add('/');
  }
  return out;
}

const KINDS: Record<number, Exclude<NodeKind, 'directory'>> = {
  [KIND_FILE]: 'file',
  [KIND_SYMLINK]: 'symlink',
};

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${describeErrno(code)} (${code})` : String(error);
}

export class Walk {
  readonly result: WalkResult = { errors: [], skipped: [], entries: 0 };
  private directories = 0;
  /** The length of `--root` in a path given as a string, and in one given as bytes (they
   *  differ when the root's name is not ASCII). */
  private readonly prefix: number;
  private readonly prefixBytes: number;
  /** The byte length of the current run's root: below it, the reader follows no link. */
  private rootLength = 0;

  constructor(
    private readonly agg: Aggregator,
    private readonly opts: WalkOptions,
  ) {
    this.prefix = opts.root === '/' ? 0 : opts.root.length;
    this.prefixBytes = opts.root === '/' ? 0 : Buffer.byteLength(opts.root);
  }

  /** The path as the booted system sees it. */
  private systemPath(host: WalkPath): NodeName {
    if (typeof host === 'string') return { path: host.slice(this.prefix) || '/' };
    const bytes = host.subarray(this.prefixBytes);
    return { path: displayBytes(bytes), pathBase64: bytes.toString('base64') };
  }

  /** Walk the directory `host` (under `--root`) as the root of a report tree. */
  run(host: string, ignored?: string): DiffNode {
    const rules = rulesInside(this.opts.rules, host.slice(this.prefix) || '/');
    this.rootLength = Buffer.byteLength(host);
    try {
      return this.directory(host, rules, ignored);
    } finally {
      this.opts.ahead?.end();
    }
  }

  private directory(host: WalkPath, rules: readonly IgnoreRule[], ignored?: string): DiffNode {
    const { agg, opts } = this;
    agg.enter(this.systemPath(host), ignored);
    let listing: Listing | undefined;
    try {
      listing = opts.read(host, this.rootLength);
    } catch (error) {
      const reason = reasonOf(error);
      agg.unreadable(reason);
      this.result.errors.push({ path: this.systemPath(host).path, reason });
    }
    if (listing !== undefined) this.entries(host, listing, rules);
    return agg.leave();
  }

  /**
   * Whether an entry is counted: undefined when it is pruned or (without `--all`) ignored,
   * else the origin of the rule that ignores it, or '' for none. Records what it finds (a
   * skipped mount, and that the directory is not whole): asked once per entry.
   */
  private admit(
    child: WalkPath,
    isDirectory: boolean,
    lookups: boolean,
    rules: readonly IgnoreRule[],
  ): string | undefined {
    const { agg, opts, result } = this;
    if (lookups) {
      const pruned = opts.pruning.paths.get(child as string);
      if (pruned !== undefined) {
        agg.blocked();
        if (pruned.why === 'mount') {
          result.skipped.push({ path: this.systemPath(child).path, fsType: pruned.fsType });
        }
        return undefined;
      }
    }
    if (rules.length === 0) return '';
    const rule = ignoredBy(rules, this.systemPath(child).path, isDirectory);
    if (rule === undefined) return '';
    return opts.showIgnored ? rule.origin : undefined;
  }

  /**
   * The paths and verdicts of a directory's subdirectories (the first pass's, made early),
   * with those to be entered handed to the reader in the order the walk enters them.
   */
  private expect(
    host: WalkPath,
    listing: Listing,
    lookups: boolean,
    rules: readonly IgnoreRule[],
  ): { children: WalkPath[]; verdicts: (string | undefined)[] } | undefined {
    const named = lookups || rules.length > 0;
    let children: WalkPath[] | undefined;
    let verdicts: (string | undefined)[] | undefined;
    const entered: WalkPath[] = [];
    for (let i = 0; i < listing.length; i++) {
      if (listing.kind(i) !== KIND_DIRECTORY) continue;
      children ??= new Array<WalkPath>(listing.length);
      verdicts ??= new Array<string | undefined>(listing.length);
      const child = childOf(host, listing.name(i), listing.nameBytes(i));
      const ignored = named ? this.admit(child, true, lookups, rules) : '';
      children[i] = child;
      verdicts[i] = ignored;
      if (ignored !== undefined) entered.push(child);
    }
    if (children === undefined || verdicts === undefined) return undefined;
    if (entered.length > 0) this.opts.ahead?.expect(entered, this.rootLength);
    return { children, verdicts };
  }

  private facts(listing: Listing, i: number, ignored: string): EntryFacts {
    const facts: EntryFacts = {
      kind: KINDS[listing.kind(i)] ?? 'other',
      size: listing.size(i),
      mtimeMs: listing.mtimeMs(i),
    };
    if (ignored !== '') facts.ignored = ignored;
    return facts;
  }

  /**
   * Counts every entry (names are decoded only where a lookup or a rule needs them), walks
   * the subdirectories, then, if the directory turns out to hold something declared (it is
   * not whole) and is shallow enough, goes over the listing again for its files' own nodes.
   */
  private entries(host: WalkPath, listing: Listing, rules: readonly IgnoreRule[]): void {
    const { agg, opts, result } = this;
    const lookups = typeof host === 'string' && opts.pruning.ancestors.has(host);
    const named = lookups || rules.length > 0;
    result.entries += listing.length;
    if (++this.directories % 256 === 0 && opts.onProgress !== undefined) {
      opts.onProgress(result.entries, this.systemPath(host).path);
    }
    // What the first pass found of each entry, for the second (below) to list the files
    // without looking them up again.
    const verdicts = named ? new Array<string | undefined>(listing.length) : undefined;
    // With a reader that reads ahead, the subdirectories are admitted first and handed over.
    const early = opts.ahead === undefined ? undefined : this.expect(host, listing, lookups, rules);
    for (let i = 0; i < listing.length; i++) {
      const kind = listing.kind(i);
      const isDirectory = kind === KIND_DIRECTORY;
      let child: WalkPath = '';
      let ignored: string | undefined = '';
      if (isDirectory && early !== undefined) {
        child = early.children[i]!;
        ignored = early.verdicts[i];
      } else {
        if (named || isDirectory || kind === KIND_ERROR) {
          child = childOf(host, listing.name(i), listing.nameBytes(i));
        }
        if (named) ignored = this.admit(child, isDirectory, lookups, rules);
      }
      if (verdicts !== undefined) verdicts[i] = ignored;
      if (ignored === undefined) continue;
      if (isDirectory) {
        const inner = rules.length > 0 ? rulesInside(rules, this.systemPath(child).path) : rules;
        this.directory(child, inner, ignored === '' ? undefined : ignored);
      } else if (kind === KIND_ERROR) {
        const code = getSystemErrorName(-listing.size(i));
        if (code === 'ENOENT') continue; // gone since the directory was read
        const reason = `cannot be examined: ${describeErrno(code)} (${code})`;
        result.errors.push({ path: this.systemPath(child).path, reason });
        agg.blocked();
      } else if (opts.onFile === undefined) {
        agg.count(listing.size(i), listing.mtimeMs(i), ignored !== '');
      } else {
        const facts = this.facts(listing, i, ignored);
        agg.entry(facts);
        if (child === '') child = childOf(host, listing.name(i), listing.nameBytes(i));
        opts.onFile(this.systemPath(child), child, facts);
      }
    }
    if (!agg.keepsFileNodes()) return;
    // The files' places in the listing; each is given by its name alone (its path is its
    // directory's and the name, made only when the report is written: file-nodes.ts).
    const files: number[] = [];
    for (let i = 0; i < listing.length; i++) {
      const kind = listing.kind(i);
      if (kind === KIND_DIRECTORY || kind === KIND_ERROR) continue;
      if (verdicts === undefined || verdicts[i] !== undefined) files.push(i);
    }
    // A bounded report: the largest files get nodes, the rest are summed.
    if (files.length > MAX_FILE_NODES) {
      files.sort((a, b) => listing.size(b) - listing.size(a) || a - b);
      const rest = files.splice(MAX_FILE_NODES);
      agg.unlisted(
        rest.length,
        rest.reduce((n, i) => n + listing.size(i), 0),
      );
    }
    for (const i of files) {
      const facts = this.facts(listing, i, verdicts === undefined ? '' : verdicts[i]!);
      agg.fileNode(facts, listing.name(i), listing.nameBytes(i));
    }
  }
}
