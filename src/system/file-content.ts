// What keepsake writes into a file: bytes, a text, or a text in pieces. A record of megabytes
// (a generation of a large configuration) is written from its pieces through one small buffer
// kept for the whole run, so that its bytes never exist whole: each megabyte a process touches
// for the first time is about 256 page faults, and a fresh buffer for each record was the
// larger part of the memory an apply's records phase touched.

import fs from 'node:fs';

/** A text in pieces, the file being their concatenation, encoded as UTF-8. Each piece is
 *  encoded on its own, so no surrogate pair may be split between two (no JSON text is). */
export interface TextPieces {
  readonly pieces: readonly string[];
}

export type FileContent = string | Uint8Array | TextPieces;

/** The file's size in bytes. */
export function byteLengthOf(content: FileContent): number {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    return Buffer.byteLength(content);
  }
  let size = 0;
  for (const piece of content.pieces) size += Buffer.byteLength(piece);
  return size;
}

/** The file's text (for those who read it back: tests, a digest of a small record). */
export function textOf(content: FileContent): string {
  if (typeof content === 'string') return content;
  if (content instanceof Uint8Array) return Buffer.from(content).toString('utf8');
  return content.pieces.join('');
}

const CHUNK = 256 * 1024;
/** Encoded a piece at a time in steps of at least this many UTF-16 units (3 bytes at most each). */
const STEP = 4096;
let chunk: Buffer | undefined;

/** Writes all of `content` at the descriptor's offset, or throws. */
export function writeContent(fd: number, content: FileContent): void {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    fs.writeFileSync(fd, content);
    return;
  }
  chunk ??= Buffer.allocUnsafe(CHUNK);
  const buffer = chunk;
  let used = 0;
  const flush = () => {
    // Invariant: only the bytes encoded since the last flush are written, and all of them
    // (a short write goes on from where it stopped), so no byte the buffer held before (its
    // memory is not cleared) reaches the file.
    for (let at = 0; at < used; ) at += fs.writeSync(fd, buffer, at, used - at);
    used = 0;
  };
  for (const piece of content.pieces) {
    for (let from = 0; from < piece.length; ) {
      if (CHUNK - used < 3 * STEP) flush();
      let to = Math.min(piece.length, from + Math.floor((CHUNK - used) / 3));
      // A surrogate pair is encoded whole: never split between two steps.
      const last = piece.charCodeAt(to - 1);
      if (to < piece.length && last >= 0xd800 && last <= 0xdbff) to--;
      // Room for 3 bytes a unit: the slice always fits, so write() never stops short.
      used += buffer.write(from === 0 && to === piece.length ? piece : piece.slice(from, to), used);
      from = to;
    }
  }
  flush();
}
