// Rolls the walk's stream of entries up by directory, keeping nodes only down to the depth
// asked for: memory follows the size of the report, not of the tree. A directory holding
// nothing declared or mounted is whole and is reported as one unit, its children dropped.
// Pure: the walk calls enter, entry and leave in depth-first order.

import { emptyNode, FilePacker } from './file-nodes.js';
import type { DiffNode, NodeKind } from './types.js';

export interface NodeName {
  path: string;
  pathBase64?: string;
}

interface Frame {
  node: DiffNode;
  depth: number;
  ignored: boolean;
  /** The directory's files listed one by one, packed as the directory is left. */
  files?: FilePacker;
}

export interface EntryFacts {
  kind: Exclude<NodeKind, 'directory'>;
  size: number;
  mtimeMs: number;
  /** The ignore rule's origin, when one matched (walked only with `--all`). */
  ignored?: string;
}

function addChild(parent: DiffNode, child: DiffNode): void {
  if (parent.children === undefined) parent.children = [child];
  else parent.children.push(child);
}

export class Aggregator {
  private readonly stack: Frame[] = [];
  /** What ignored rules covered (with `--all`). */
  readonly ignored = { files: 0, bytes: 0 };

  constructor(private readonly opts: { depth: number; bootMs: number }) {}

  /**
   * Whether the files of the current directory get nodes of their own: only above the depth
   * asked for, and only in a directory that is not reported whole (a scanned path always).
   * Asked once the directory's entries have all been counted.
   */
  keepsFileNodes(): boolean {
    const top = this.top();
    return top.depth < this.opts.depth && (top.depth === 0 || !top.node.whole);
  }

  enter(name: NodeName, ignored?: string): void {
    const node = emptyNode(name, 'directory');
    if (ignored !== undefined) node.ignored = ignored;
    const parent = this.stack[this.stack.length - 1];
    this.stack.push({
      node,
      depth: parent === undefined ? 0 : parent.depth + 1,
      ignored: ignored !== undefined || parent?.ignored === true,
    });
  }

  /** Counts a non-directory of the current directory. */
  entry(facts: EntryFacts): void {
    this.count(facts.size, facts.mtimeMs, facts.ignored !== undefined);
  }

  /** entry() from the facts themselves, with no object made: once per file of a walk. */
  count(size: number, mtimeMs: number, ignored: boolean): void {
    const top = this.top();
    const node = top.node;
    node.files++;
    node.bytes += size;
    if (mtimeMs > this.opts.bootMs) node.changed++;
    if (mtimeMs > node.newestMs) node.newestMs = mtimeMs;
    if (top.ignored || ignored) {
      this.ignored.files++;
      this.ignored.bytes += size;
    }
  }

  /**
   * A line of its own for a non-directory of the current directory, counted already: `name`
   * is its name in the directory, `bytes` the name's bytes when they are not UTF-8. Packed
   * with the directory's other such files (file-nodes.ts), not made a node until printed.
   */
  fileNode(facts: EntryFacts, name: string, bytes?: Buffer): void {
    const top = this.top();
    top.files ??= new FilePacker();
    top.files.add(facts, facts.mtimeMs > this.opts.bootMs, name, bytes);
  }

  /** Files of the current directory counted but given no node of their own. */
  unlisted(files: number, bytes: number): void {
    this.top().node.unlisted = { files, bytes };
  }

  /** Something declared, mounted or unreadable is inside the current directory. */
  blocked(): void {
    this.top().node.whole = false;
  }

  unreadable(reason: string): void {
    const node = this.top().node;
    node.unreadable = reason;
    node.whole = false;
  }

  /** Closes the current directory, adds it to its parent and returns it. */
  leave(): DiffNode {
    const frame = this.stack.pop();
    if (frame === undefined) throw new Error('leave without enter');
    const { node } = frame;
    if (node.whole && frame.depth > 0) delete node.children;
    else if (frame.files !== undefined) node.listed = frame.files.pack();
    const parent = this.stack[this.stack.length - 1];
    if (parent !== undefined) {
      const p = parent.node;
      // A directory that holds declared paths is one keepsake makes again at boot: not counted.
      p.directories += node.directories + (node.whole ? 1 : 0);
      p.files += node.files;
      p.bytes += node.bytes;
      p.changed += node.changed;
      if (node.newestMs > p.newestMs) p.newestMs = node.newestMs;
      if (!node.whole) p.whole = false;
      if (parent.depth < this.opts.depth) addChild(p, node);
    }
    return node;
  }

  private top(): Frame {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) throw new Error('entry outside a directory');
    return top;
  }
}
