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

let handedOver = false;
let failure: ((e: Error) => void) | undefined;

/**
 * Writes all of `text` to standard output; `failed` hears of any error (a closed pipe, a full
 * disk), once. Never throws: standard output failing must not stop an apply between steps.
 */
export function writeStdout(text: string, failed: (e: Error) => void): void {
  if (handedOver) {
    toStream(text, failed);
    return;
  }
  let done = 0;
  let bytes: Buffer | undefined;
  try {
    done = writeSync(1, text);
    if (done === text.length && done === Buffer.byteLength(text)) return;
    // Fewer bytes than the text has (a signal, a pipe's partial write): the rest, as bytes.
    bytes = Buffer.from(text, 'utf8');
    while (done < bytes.length) done += writeSync(1, bytes, done, bytes.length - done);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
      failed(e as Error);
      return;
    }
    handedOver = true;
    bytes ??= Buffer.from(text, 'utf8');
    toStream(bytes.subarray(done), failed);
  }
}

function toStream(chunk: string | Buffer, failed: (e: Error) => void): void {
  if (failure === undefined) {
    failure = failed;
    process.stdout.on('error', failed);
  }
  process.stdout.write(chunk);
}
