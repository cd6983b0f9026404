// The files a report lists one by one, kept packed from the walk until the report is written.
// A directory that holds something declared lists its files (its 1,000 largest): in the
// benchmark's tree at 1,000,000 entries, some 47,000 files of 200 directories. As DiffNode
// objects made as the walk went, each with its full path, they took about 165 bytes a file,
// all held to the end: 7 MB of the peak (65 to 67 MB, against 58 to 59 MB for a report of one
// line). Packed, a file takes about 23 bytes (its name in one string for its directory, its
// size and time in a Float64Array, its kind in a byte), and its node and path are made as its
// directory is written, then dropped with its lines: the peak is 60 to 61 MB (56 to 57 with
// one malloc arena for all threads, native/runtime.c). Of what is left above one line's,
// 1 MB is these packed files and 0.3 MB the report's 1,700 directories.

import { displayBytes } from '../core/display.js';
import type { EntryFacts, NodeName } from './aggregate.js';
import { childOf } from './listing.js';
import type { DiffNode, FileNodes, NodeKind } from './types.js';

type FileKind = EntryFacts['kind'];

/** A file's kind in `FileNodes.kinds`: its index here, plus CHANGED. */
const KINDS: readonly FileKind[] = ['file', 'symlink', 'other'];
const CODES: Record<FileKind, number> = { file: 0, symlink: 1, other: 2 };
const CHANGED = 0x80;

/** A node with nothing counted in it yet; its fields in the order `diff --json` prints. */
export function emptyNode(name: NodeName, kind: NodeKind): DiffNode {
  const node: DiffNode = {
    path: name.path,
    kind,
    files: 0,
    directories: 0,
    bytes: 0,
    changed: 0,
    newestMs: 0,
    whole: true,
  };
  if (name.pathBase64 !== undefined) node.pathBase64 = name.pathBase64;
  return node;
}

/** One directory's listed files, given in turn, then packed. */
export class FilePacker {
  private readonly names: string[] = [];
  private readonly numbers: number[] = [];
  private readonly kinds: number[] = [];
  private bytes: (Buffer | undefined)[] | undefined;
  private ignored: (string | undefined)[] | undefined;

  /** A file counted already; `changed`: modified since boot. */
  add(facts: EntryFacts, changed: boolean, name: string, bytes: Buffer | undefined): void {
    const k = this.names.length;
    this.names.push(name);
    this.numbers.push(facts.size, facts.mtimeMs);
    this.kinds.push(CODES[facts.kind] | (changed ? CHANGED : 0));
    if (bytes !== undefined) {
      this.bytes ??= [];
      this.bytes[k] = bytes;
    }
    if (facts.ignored !== undefined) {
      this.ignored ??= [];
      this.ignored[k] = facts.ignored;
    }
  }

  pack(): FileNodes {
    const files: FileNodes = {
      names: this.names.join('/'),
      numbers: Float64Array.from(this.numbers),
      kinds: Uint8Array.from(this.kinds),
    };
    if (this.bytes !== undefined) files.bytes = this.bytes;
    if (this.ignored !== undefined) files.ignored = this.ignored;
    return files;
  }
}

/**
 * A directory's listed files as the nodes the report prints, made anew at each call, as the
 * walk made them before they were packed: each path its directory's, a slash and its name
 * (as bytes, shown escaped and given in base64, once either is not UTF-8).
 */
export function listedNodes(dir: DiffNode): DiffNode[] {
  const files = dir.listed;
  if (files === undefined) return [];
  const names = files.names.split('/');
  const parent = dir.pathBase64 === undefined ? dir.path : Buffer.from(dir.pathBase64, 'base64');
  const out = new Array<DiffNode>(files.kinds.length);
  for (let k = 0; k < out.length; k++) {
    const path = childOf(parent, names[k]!, files.bytes?.[k]);
    const name: NodeName =
      typeof path === 'string'
        ? { path }
        : { path: displayBytes(path), pathBase64: path.toString('base64') };
    const code = files.kinds[k]!;
    const node = emptyNode(name, KINDS[code & ~CHANGED]!);
    node.files = 1;
    node.bytes = files.numbers[2 * k]!;
    node.changed = code & CHANGED ? 1 : 0;
    node.newestMs = files.numbers[2 * k + 1]!;
    const ignored = files.ignored?.[k];
    if (ignored !== undefined) node.ignored = ignored;
    out[k] = node;
  }
  return out;
}

/** A directory's children as the report shows them: its subdirectories kept, then its listed
 *  files (in the walk's order, which sorting keeps among equals). */
export function childrenOf(node: DiffNode): DiffNode[] {
  const listed = listedNodes(node);
  if (node.children === undefined) return listed;
  return listed.length === 0 ? node.children : [...node.children, ...listed];
}
