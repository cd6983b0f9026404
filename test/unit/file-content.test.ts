// A text written from its pieces through one small buffer (src/system/file-content.ts) is
// byte for byte the UTF-8 of the whole text: across the buffer's edges, with characters of
// two, three and four bytes, a surrogate pair at every place a step could end, and nothing
// of what the buffer held before.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { byteLengthOf, textOf, writeContent } from '../../src/system/file-content.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-content-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** The bytes a file gets from `pieces`, and those of the whole text. */
function written(pieces: string[]): { got: Buffer; want: Buffer } {
  const file = path.join(dir, `f${n++}`);
  const fd = fs.openSync(file, 'w');
  try {
    writeContent(fd, { pieces });
  } finally {
    fs.closeSync(fd);
  }
  return { got: fs.readFileSync(file), want: Buffer.from(pieces.join(''), 'utf8') };
}

describe('a text written from its pieces', () => {
  it('is the UTF-8 of the whole text, over many buffers of it', () => {
    const cases: [string, string[]][] = [
      ['nothing', []],
      ['empty pieces', ['', '', '']],
      ['one small piece', ['{"a":1}\n']],
      ['ASCII larger than the buffer', ['x'.repeat(1_000_003), 'y'.repeat(262_144), '\n']],
      ['many small pieces', Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i},`)],
      ['two-byte characters', ['é'.repeat(400_000)]],
      ['three-byte characters', ['€'.repeat(300_001), 'a']],
      [
        'pairs, every offset',
        Array.from({ length: 7 }, (_, i) => `${'a'.repeat(i)}${'😀'.repeat(200_000)}`),
      ],
      ['lone surrogates', [`${'\ud800'.repeat(100_000)}x`, `x${'\udc00'.repeat(100_000)}`]],
    ];
    for (const [name, pieces] of cases) {
      const { got, want } = written(pieces);
      assert.equal(got.length, want.length, name);
      assert.ok(got.equals(want), name);
      assert.equal(byteLengthOf({ pieces }), want.length, name);
      assert.equal(textOf({ pieces }), pieces.join(''), name);
    }
  });

  it('a pair never split where a step ends: at each offset near the buffer edge', () => {
    // Steps end at multiples of a third of what is left: shifting a run of pairs by one unit
    // at a time puts a pair's halves on both sides of every such end.
    for (let shift = 0; shift < 12; shift++) {
      const pieces = [`${'b'.repeat(87_381 + shift)}${'𝄞'.repeat(90_000)}`, 'z'];
      const { got, want } = written(pieces);
      assert.ok(got.equals(want), `shift ${shift}`);
    }
  });

  it('keeps nothing of an earlier, longer text in the buffer', () => {
    written(['S'.repeat(300_000)]);
    const { got, want } = written(['short']);
    assert.ok(got.equals(want));
  });

  it('a full device: the write fails, it does not end short', () => {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      assert.throws(() => writeContent(fd, { pieces: ['x'.repeat(10)] }), { code: 'ENOSPC' });
    } finally {
      fs.closeSync(fd);
    }
  });

  it('bytes and a text are written as they are', () => {
    for (const content of ['plain\n', Buffer.from([0, 1, 2, 255])]) {
      const file = path.join(dir, `g${n++}`);
      const fd = fs.openSync(file, 'w');
      writeContent(fd, content);
      fs.closeSync(fd);
      assert.ok(fs.readFileSync(file).equals(Buffer.from(content)));
      assert.equal(byteLengthOf(content), Buffer.byteLength(content));
    }
  });
});
