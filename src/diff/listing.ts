// One directory's entries with their kind, size and modification time, as the walk reads them.
// Names are kept as bytes when they are not UTF-8, so that such files are still found,
// measured and shown. The readers are in read-directory.ts.

export const KIND_FILE = 1;
export const KIND_DIRECTORY = 2;
export const KIND_SYMLINK = 3;
export const KIND_OTHER = 4;
/** lstat failed (the entry vanished, or the directory cannot be searched); size is the errno. */
export const KIND_ERROR = 5;

/** A path as the walk holds it: a string, or bytes once a component is not UTF-8. */
export type WalkPath = string | Buffer;

export interface Listing {
  readonly length: number;
  kind(i: number): number;
  size(i: number): number;
  mtimeMs(i: number): number;
  /** The name, decoded; lossy when `nameBytes` is set. */
  name(i: number): string;
  /** The name's bytes when they are not UTF-8. */
  nameBytes(i: number): Buffer | undefined;
}

/**
 * Reads one directory. `rootLength`, the byte length of the walk's root within `path`: no
 * component below the root may be a link (one swapped in since the walk saw a directory
 * there is refused with ELOOP, not followed).
 */
export type ReadDirectory = (path: WalkPath, rootLength?: number) => Listing;

/**
 * A reader that lists, on another thread, the directories a walk says it enters next, so that
 * their lstat calls run beside the walk's own. What the walk reads is the same either way.
 */
export interface ReadAhead {
  /** The subdirectories the walk enters next, in the order it enters them. */
  expect(paths: readonly WalkPath[], rootLength?: number): void;
  /** The walk is over, or has failed: what was read ahead and not asked for is dropped. */
  end(): void;
}

export function childOf(parent: WalkPath, name: string, bytes: Buffer | undefined): WalkPath {
  if (typeof parent === 'string' && bytes === undefined) {
    return parent.endsWith('/') ? parent + name : `${parent}/${name}`;
  }
  const head = typeof parent === 'string' ? Buffer.from(parent) : parent;
  const sep = head[head.length - 1] === 0x2f ? [] : [Buffer.from('/')];
  return Buffer.concat([head, ...sep, bytes ?? Buffer.from(name)]);
}
