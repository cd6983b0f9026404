// A plain apply or diff keeps one malloc arena for all of its threads (oneMallocArena in
// native/runtime.c, called by the launcher's bootFlags): each arena a thread made for itself
// kept its own freed pages resident, 5 to 6 MB of a diff's peak at 1,000,000 files.
// The arenas are counted in the process's own map: glibc makes each arena beyond the first
// as a 64 MiB region aligned to its size, readable and writable at its start, the rest
// reserved.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../helpers/boot.js';

const ADDON = path.join(REPO, 'build/Release/keepsake_mount.node');
const COMPILE_CACHE = path.join(REPO, 'bin/compile-cache.js');

/**
 * A child that runs `setUp`, counts its arenas, starts four worker threads that each allocate
 * 4 MiB in buffers of 64 KiB (each a malloc of its own), and counts them again.
 */
function arenas(setUp: string): { before: number; after: number; set?: unknown } {
  const child = `
    const fs = require('node:fs');
    const { Worker } = require('node:worker_threads');
    const HEAP = 64 * 1024 * 1024;
    function count() {
      const maps = fs.readFileSync('/proc/self/maps', 'utf8').trim().split('\\n').map((l) => {
        const [range, perms] = l.split(' ');
        const [a, b] = range.split('-').map((x) => BigInt('0x' + x));
        return { a, b, perms };
      });
      let n = 0;
      for (let i = 0; i + 1 < maps.length; i++) {
        const m = maps[i], next = maps[i + 1];
        if (m.a % BigInt(HEAP) !== 0n || !m.perms.startsWith('rw') || next.a !== m.b) continue;
        if (next.perms.startsWith('---') && next.b - m.a === BigInt(HEAP)) n++;
      }
      return n;
    }
    let set;
    ${setUp}
    const before = count();
    const work = 'const kept = []; for (let i = 0; i < 64; i++) kept.push(Buffer.allocUnsafeSlow(65536).fill(i));';
    let left = 4;
    for (let i = 0; i < 4; i++) {
      new Worker(work, { eval: true }).on('exit', () => {
        if (--left === 0) console.log(JSON.stringify({ before, after: count(), set }));
      });
    }
  `;
  const r = spawnSync(process.execPath, ['-e', child], {
    encoding: 'utf8',
    env: { ...process.env, KEEPSAKE_ADDON: ADDON, KEEPSAKE_CACHE_JS: COMPILE_CACHE },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim());
}

describe('one malloc arena', () => {
  it('without it, threads that allocate make arenas of their own (what the count sees)', () => {
    const { before, after } = arenas('');
    assert.ok(after > before, `arenas: ${before} before the threads, ${after} after`);
  });

  it('with it, threads allocate from the arenas there are: none is made', () => {
    const { before, after, set } = arenas(
      'set = require(process.env.KEEPSAKE_ADDON).oneMallocArena();',
    );
    assert.equal(set, true);
    assert.equal(after, before);
  });

  it('the launcher sets it for an apply and a diff (bootFlags)', () => {
    const { before, after } = arenas('require(process.env.KEEPSAKE_CACHE_JS).bootFlags();');
    assert.equal(after, before);
  });
});
