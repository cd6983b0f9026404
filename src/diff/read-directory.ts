// Reading a directory's entries with their kind, size and modification time: from the addon's
// listDir (one fstatat per non-directory, relative to the open directory, and with more than
// one CPU the next directories listed ahead on a second thread) or, without it, from readdir
// and one lstat per non-directory. Names are kept as bytes when they are not
// UTF-8, so that such files are still found, measured and shown.

import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { hooks } from '../hooks.js';
import { loadBinding } from '../system/binding.js';
import {
  childOf,
  KIND_DIRECTORY,
  KIND_ERROR,
  KIND_FILE,
  KIND_OTHER,
  KIND_SYMLINK,
  type Listing,
  type ReadAhead,
  type ReadDirectory,
  type WalkPath,
} from './listing.js';

/** The addon's layout (see listDir in native/list-dir.c): fixed records, then names. */
class NativeListing implements Listing {
  readonly length: number;
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  /** The whole buffer as one Buffer: each name is decoded from its place in it, with no
   *  view made per name (a walk decodes tens of thousands). */
  private readonly text: Buffer;
  private readonly names: number;
  /** Names decoded so far: the walk asks for some twice (to count, then to list). */
  private decoded: (string | undefined)[] | undefined;

  constructor(buffer: ArrayBuffer) {
    this.u32 = new Uint32Array(buffer, 0, buffer.byteLength >> 2);
    this.f64 = new Float64Array(buffer, 0, buffer.byteLength >> 3);
    this.u8 = new Uint8Array(buffer);
    this.text = Buffer.from(buffer);
    this.length = this.u32[0]!;
    this.names = 8 + 24 * this.length;
  }

  kind(i: number): number {
    return this.u8[8 + 24 * i + 16]!;
  }
  size(i: number): number {
    return this.f64[1 + 3 * i]!;
  }
  mtimeMs(i: number): number {
    return this.f64[2 + 3 * i]!;
  }
  /** Where the name of entry i lies in the buffer: [start, end). */
  private start(i: number): number {
    return this.names + this.u32[(8 + 24 * i + 20) >> 2]!;
  }
  private end(i: number): number {
    const r = 8 + 24 * i;
    return this.start(i) + (this.u8[r + 18]! | (this.u8[r + 19]! << 8));
  }
  name(i: number): string {
    this.decoded ??= new Array(this.length);
    let name = this.decoded[i];
    if (name === undefined) {
      name = this.text.toString('utf8', this.start(i), this.end(i));
      this.decoded[i] = name;
    }
    return name;
  }
  nameBytes(i: number): Buffer | undefined {
    return this.u8[8 + 24 * i + 17] === 1
      ? Buffer.from(this.text.subarray(this.start(i), this.end(i)))
      : undefined;
  }
}

interface JsEntry {
  name: string;
  bytes: Buffer | undefined;
  kind: number;
  size: number;
  mtimeMs: number;
}

class JsListing implements Listing {
  constructor(private readonly entries: JsEntry[]) {}
  get length() {
    return this.entries.length;
  }
  kind(i: number) {
    return this.entries[i]!.kind;
  }
  size(i: number) {
    return this.entries[i]!.size;
  }
  mtimeMs(i: number) {
    return this.entries[i]!.mtimeMs;
  }
  name(i: number) {
    return this.entries[i]!.name;
  }
  nameBytes(i: number) {
    return this.entries[i]!.bytes;
  }
}

/** `parent/name` as a string, or as bytes when either is not UTF-8. */

function kindOfStats(st: fs.Stats): number {
  if (st.isFile()) return KIND_FILE;
  if (st.isDirectory()) return KIND_DIRECTORY;
  if (st.isSymbolicLink()) return KIND_SYMLINK;
  return KIND_OTHER;
}

function readWithNode(path: WalkPath): Listing {
  let dirents: fs.Dirent[] | fs.Dirent<Buffer>[] = fs.readdirSync(path, { withFileTypes: true });
  // A name that is not UTF-8 comes back with U+FFFD: read the directory again as bytes.
  const lossy = dirents.some((d) => d.name.includes('\uFFFD'));
  if (lossy) dirents = fs.readdirSync(path, { withFileTypes: true, encoding: 'buffer' });
  const entries: JsEntry[] = [];
  for (const d of dirents) {
    const raw = typeof d.name === 'string' ? undefined : d.name;
    const name = raw === undefined ? (d.name as string) : raw.toString('utf8');
    const bytes = raw !== undefined && Buffer.from(name).equals(raw) ? undefined : raw;
    const entry: JsEntry = { name, bytes, kind: KIND_DIRECTORY, size: 0, mtimeMs: 0 };
    if (!d.isDirectory()) {
      try {
        const st = fs.lstatSync(childOf(path, name, bytes));
        entry.kind = kindOfStats(st);
        if (entry.kind !== KIND_DIRECTORY) {
          entry.size = st.size;
          entry.mtimeMs = st.mtimeMs;
        }
      } catch (error) {
        entry.kind = KIND_ERROR;
        entry.size = Number((error as NodeJS.ErrnoException).errno ?? 0);
      }
    }
    entries.push(entry);
  }
  return new JsListing(entries);
}

export interface DirectoryReader {
  read: ReadDirectory;
  /** Present when directories can be read ahead (the addon, and more than one CPU). */
  ahead?: ReadAhead;
  backend: 'native' | 'node';
}

/**
 * The addon's reader when it is built, Node's otherwise. `KEEPSAKE_SCAN=node` forces Node's,
 * `KEEPSAKE_SCAN=one-thread` the addon's without reading ahead.
 */
export function directoryReader(): DirectoryReader {
  const scan = hooks().scan;
  const binding = scan === 'node' ? null : loadBinding().binding;
  const listDir = binding?.listDir?.bind(binding);
  if (listDir === undefined) return { read: readWithNode, backend: 'node' };
  const readAhead = binding?.readAhead?.bind(binding);
  const readAheadEnd = binding?.readAheadEnd?.bind(binding);
  if (
    readAhead === undefined ||
    readAheadEnd === undefined ||
    scan === 'one-thread' ||
    availableParallelism() < 2
  ) {
    return {
      read: (path, rootLength) => new NativeListing(listDir(path, undefined, rootLength)),
      backend: 'native',
    };
  }
  // The addon's id for each directory handed over and not yet read. A path given as bytes
  // (not UTF-8: rare) is not handed over, and is read when the walk reaches it.
  const ids = new Map<string, number>();
  return {
    read(path, rootLength) {
      const id = typeof path === 'string' ? ids.get(path) : undefined;
      if (id !== undefined) ids.delete(path as string);
      return new NativeListing(listDir(path, id, rootLength));
    },
    ahead: {
      expect(paths, rootLength) {
        const named = paths.filter((p): p is string => typeof p === 'string');
        if (named.length === 0) return;
        const first = readAhead(named, rootLength);
        if (first < 0) return;
        for (let k = 0; k < named.length; k++) ids.set(named[k]!, first + k);
      },
      end() {
        ids.clear();
        readAheadEnd();
      },
    },
    backend: 'native',
  };
}
