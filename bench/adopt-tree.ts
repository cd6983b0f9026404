// The directory the add benchmark adopts: 10,000 small files (256 B to 4 KB, 22 MB in all)
// in 100 directories, with content that is a function of the file's number, so that any copy
// can be checked against what it should hold without keeping the original.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

export const TREE = { files: 10_000, directories: 100, sample: 200 };
/** Where the tree is, and the store it goes to (at `<store><target>`). */
export const TARGET = '/srv/data';
export const STORE = '/persist';

const perDir = () => Math.ceil(TREE.files / TREE.directories);
const pad = (n: number, w: number) => String(n).padStart(w, '0');

export const relPath = (i: number) => `d${pad(Math.floor(i / perDir()), 3)}/f${pad(i, 5)}`;

const sizeOf = (i: number) => 256 + ((i * 2_654_435_761) % 3840);

let pool: Buffer | undefined;

/** 64 KB of xorshift noise, the same in every process. */
function noise(): Buffer {
  if (pool) return pool;
  pool = Buffer.alloc(1 << 16);
  let x = 0x9e3779b9;
  for (let i = 0; i < pool.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pool.writeUInt32LE(x >>> 0, i);
  }
  return pool;
}

export function contentOf(i: number): Buffer {
  const size = sizeOf(i);
  const off = (i * 7919) % (noise().length - size);
  return Buffer.concat([Buffer.from(`file ${i}\n`), noise().subarray(off, off + size)]);
}

export const totalBytes = () => {
  let n = 0;
  for (let i = 0; i < TREE.files; i++) n += contentOf(i).length;
  return n;
};

export function makeTree(dir: string) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let d = 0; d < TREE.directories; d++) fs.mkdirSync(`${dir}/d${pad(d, 3)}`, { mode: 0o755 });
  for (let i = 0; i < TREE.files; i++) {
    fs.writeFileSync(`${dir}/${relPath(i)}`, contentOf(i), { mode: 0o644 });
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Regular files under `dir`, counted. */
function countFiles(dir: string): number {
  let n = 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) n += countFiles(`${dir}/${d.name}`);
    else if (d.isFile()) n++;
    else throw new Error(`${dir}/${d.name}: not a file or directory`);
  }
  return n;
}

/** The sample: TREE.sample files spread over the tree. */
export const sampleIndices = () =>
  Array.from({ length: TREE.sample }, (_, k) =>
    Math.min(TREE.files - 1, Math.floor((k * TREE.files) / TREE.sample) + ((k * 13) % 50)),
  );

/** Every file is there, and the sample holds exactly what it should. */
export function checkTree(dir: string): { files: number; sampled: number } {
  const files = countFiles(dir);
  if (files !== TREE.files) throw new Error(`${dir} holds ${files} files, not ${TREE.files}`);
  const sample = sampleIndices();
  for (const i of sample) {
    const p = `${dir}/${relPath(i)}`;
    if (sha256(fs.readFileSync(p)) !== sha256(contentOf(i))) {
      throw new Error(`${p} does not hold what it held before the move`);
    }
  }
  return { files, sampled: sample.length };
}
