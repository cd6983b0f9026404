// The addon's SHA-256 (native/digest.c) gives node:crypto's digest byte for byte: model
// caches, setup digests and move journals keyed by it stay valid whichever computed them.
// And its random names are random.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ADDON_RELATIVE_PATH,
  findPackageRoot,
  loadBinding,
  type MountBinding,
} from '../../src/system/binding.js';
import { randomHex, sha256Hex } from '../../src/system/digest.js';
import { skipUnlessCI } from '../helpers/ns-run.js';

const loaded = loadBinding();
const noAddon = loaded.binding?.sha256Hex ? null : 'the native addon (with sha256Hex) is not built';
const b = loaded.binding as Required<MountBinding>;

function reference(parts: ReadonlyArray<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** A string of `n` code units drawn from ASCII, two- to four-byte UTF-8 and lone surrogates. */
function mixedText(n: number, seed: number): string {
  const pool = ['a', 'Z', '/', '\0', '\n', 'é', 'ß', '€', '日', '😀', '\ud800', '\udfff'];
  let out = '';
  let x = seed;
  while (out.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += pool[x % pool.length];
  }
  return out;
}

describe('sha256Hex', { skip: skipUnlessCI(noAddon) }, () => {
  it('matches node:crypto for the known vectors', () => {
    assert.equal(
      b.sha256Hex(['']),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(
      b.sha256Hex(['abc']),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    assert.equal(
      b.sha256Hex(['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq']),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto at every length around the block and padding boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const text = 'x'.repeat(n);
      assert.equal(b.sha256Hex([text]), reference([text]), `length ${n}`);
    }
    for (const n of [4095, 4096, 4097, 65_536, 1_000_003]) {
      const data = randomBytes(n);
      assert.equal(b.sha256Hex([data]), reference([data]), `buffer of ${n}`);
      const text = data.toString('latin1');
      assert.equal(b.sha256Hex([text]), reference([text]), `string of ${n}`);
    }
  });

  it("gives the same digests with the processor's SHA extensions and without them", () => {
    // This process uses the extensions where the processor has them; a child told not to
    // uses the portable code: both against node:crypto, over random data of many lengths,
    // and the same data split into parts at odd places.
    const code = `
      const { createHash, randomBytes } = require('node:crypto');
      const b = require(${JSON.stringify(path.join(findPackageRoot() ?? '.', ADDON_RELATIVE_PATH))});
      let bad = 0;
      for (let n = 0; n < 3000; n += 1 + (n >> 4)) {
        const data = randomBytes(n);
        const want = createHash('sha256').update(data).digest('hex');
        if (b.sha256Hex([data]) !== want) bad++;
        const cut = Math.floor(n / 3);
        if (b.sha256Hex([data.subarray(0, cut), data.subarray(cut, 2 * cut + 1), data.subarray(2 * cut + 1)]) !== want) bad++;
      }
      console.log(bad);`;
    for (const env of [{}, { KEEPSAKE_SHA256_PORTABLE: '1' }]) {
      const r = spawnSync(process.execPath, ['-e', code], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), '0', JSON.stringify(env));
    }
  });

  it('hashes strings as UTF-8, lone surrogates as Node does', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const text = mixedText(1 + seed * 97, seed);
      assert.equal(b.sha256Hex([text]), reference([text]), `seed ${seed}`);
    }
  });

  it('hashes parts one after another, as successive updates', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const parts: Array<string | Buffer> = [];
      for (let i = 0; i < (seed % 7) + 1; i++) {
        const n = (seed * 31 + i * 17) % 150;
        parts.push(i % 2 ? randomBytes(n) : mixedText(n, seed + i), '\0');
      }
      assert.equal(b.sha256Hex(parts), reference(parts));
      assert.equal(sha256Hex(...parts), reference(parts));
    }
  });

  it('hashes long strings, cut in slices on the way, as one', () => {
    // The wrapper hands the addon strings longer than 32,768 code units in slices: a pair of
    // surrogates across a cut must stay one character, a lone half stay lone.
    const cut = 32 * 1024;
    const around = (middle: string) => `${'a'.repeat(cut - 1)}${middle}${'b'.repeat(cut)}`;
    const texts = [
      around('\u{1F600}'), // a pair whose first half ends the first slice
      around('\ud800x'), // a lone first half there
      around('x\udc00'), // a lone second half opening the second slice
      `${'é'.repeat(3 * cut + 5)}`,
      mixedText(5 * cut + 17, 7),
    ];
    for (const text of texts) {
      assert.equal(sha256Hex(text), reference([text]), `length ${text.length}`);
      assert.equal(
        sha256Hex('x', text, Buffer.from('y')),
        reference(['x', text, Buffer.from('y')]),
      );
    }
  });

  it('refuses what is neither a string nor a Buffer, without crashing', () => {
    assert.throws(() => b.sha256Hex([1 as unknown as string]), TypeError);
    assert.throws(() => b.sha256Hex('abc' as unknown as string[]), TypeError);
    assert.throws(() => b.sha256Hex([{} as unknown as string]), TypeError);
  });
});

describe('randomHex', { skip: skipUnlessCI(noAddon) }, () => {
  it('gives that many random bytes in hex', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const h = randomHex(6);
      assert.match(h, /^[0-9a-f]{12}$/);
      seen.add(h);
    }
    assert.equal(seen.size, 1000, 'names repeat');
    // Every nibble value turns up: the bytes are not, say, all zero or ASCII.
    const nibbles = new Set([...seen].join(''));
    assert.equal(nibbles.size, 16);
  });

  it('refuses a count out of range', () => {
    assert.throws(() => b.randomHex(0), RangeError);
    assert.throws(() => b.randomHex(65), RangeError);
  });
});
