// The mount table kept beside the settled record (settled-mounts.json): one line of JSON, then
// the table's text as read. Read back exactly as written, and nothing else is taken for it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { mountsSeenPieces, readMountsSeen } from '../../src/observe/observe.js';

describe('the mount table kept beside the settled record', () => {
  const own = readFileSync('/proc/self/mountinfo', 'utf8');
  const texts = [
    own,
    '',
    '\n',
    '\n\nstarts with line ends\n',
    '{"at":[],"inside":[],"id":"x"}\nlooks like a header\n',
    'no line end at the end',
    'quotes " and \\ backslashes \\040 and é ✓ 𝄞\n',
  ];

  it('is read back as written, whatever the text', () => {
    for (const text of texts) {
      const seen = { text, at: ['/', '/a b', 'é"\n'], inside: ['/srv'] };
      const file = mountsSeenPieces(seen, 'abc123').join('');
      assert.deepEqual(readMountsSeen(file), { ...seen, id: 'abc123' }, JSON.stringify(text));
    }
  });

  it('takes nothing else for it: the form kept before, a damaged header, no id', () => {
    const before = JSON.stringify({ text: own, at: [], inside: [], id: 'abc' });
    assert.equal(readMountsSeen(before), undefined);
    assert.equal(readMountsSeen(''), undefined);
    assert.equal(readMountsSeen('{"at":[],"inside":[]\n1 2 3'), undefined);
    assert.equal(readMountsSeen('{"at":[],"inside":[]}\n1 2 3'), undefined);
    assert.equal(readMountsSeen('{"at":[1],"inside":[],"id":"x"}\n'), undefined);
    assert.equal(readMountsSeen('[]\n'), undefined);
    assert.equal(readMountsSeen('null\n'), undefined);
  });
});
