// Standard output written with write(2) on descriptor 1 rather than through process.stdout:
// that stream object loads Node's stream stack, and for a pipe or a socket (the journal's, at
// boot) its network stack too, 4 to 6 ms of every apply, more than writing the report costs.
// Node's stream still takes over where write(2) cannot go on at once: a descriptor someone
// left non-blocking that is full (EAGAIN). It then gets everything after, so the order holds.

import { writeSync } from 'node:fs';
import { loadBinding } from './binding.js';

/** Whether descriptor 1 or 2 is a terminal, without loading node:tty (which loads node:net). */
export function isTerminal(fd: 1 | 2): boolean {
  const native = loadBinding().binding?.isTerminal;
  if (native) return native(fd);
  return (fd === 1 ? process.stdout : process.stderr).isTTY === true;
}

/** What a write to standard output falls back on: process.stdout, for descriptor 1. */
export interface Fallback {
  on(event: 'error', listener: (e: Error) => void): unknown;
  write(chunk: string | Uint8Array): unknown;
}

/**
 * A writer of all of each text to `fd`, in order; `failed` hears of any error (a closed pipe,
 * a full disk), and the writer never throws: standard output failing must not stop an apply
 * between two steps. Where `fd` would block, `fallback` (a stream on the same descriptor)
 * takes this text's rest and every later one.
 */
export function stdoutWriter(
  fd: number,
  fallback: () => Fallback,
): (text: string, failed: (e: Error) => void) => void {
  let stream: Fallback | undefined;
  const toStream = (chunk: string | Uint8Array, failed: (e: Error) => void) => {
    if (stream === undefined) {
      stream = fallback();
      stream.on('error', failed);
    }
    stream.write(chunk);
  };
  return (text, failed) => {
    if (stream !== undefined) {
      toStream(text, failed);
      return;
    }
    let done = 0;
    let bytes: Buffer | undefined;
    try {
      done = writeSync(fd, text);
      if (done === Buffer.byteLength(text)) return;
      // Fewer bytes than the text has (a signal, a pipe's partial write): the rest, as bytes.
      bytes = Buffer.from(text, 'utf8');
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
        failed(e as Error);
        return;
      }
      bytes ??= Buffer.from(text, 'utf8');
      toStream(bytes.subarray(done), failed);
    }
  };
}

/** Writes all of `text` to standard output (see stdoutWriter). */
export const writeStdout = stdoutWriter(1, () => process.stdout);
