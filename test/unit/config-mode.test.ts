// Modes as configurations write them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMode, parseMode } from '../../src/config/mode.js';

type Case = [value: string | number, expected: number, kind?: 'directory' | 'file', text?: string];

const VALID: Case[] = [
  ['0700', 0o700],
  ['700', 0o700],
  ['755', 0o755],
  ['0755', 0o755],
  ['2775', 0o2775],
  ['02775', 0o2775],
  ['1777', 0o1777],
  ['0o750', 0o750],
  ['0', 0],
  [' 0644 ', 0o644],
  // Numbers are read by their digits, as chmod reads them.
  [700, 0o700],
  [755, 0o755, 'directory', '0755'],
  [448, 0o700, 'directory', '0o700'],
  [0x1ed, 0o755, 'directory', '0x1ed'],
  // Symbolic, from an empty mode.
  ['u=rwx,g=rx,o=', 0o750],
  ['u=rwx,g=,o=', 0o700],
  ['u=rwx,g=rwx,o=', 0o770],
  ['u=rw,g=r,o=r', 0o644],
  ['a=rx', 0o555],
  ['=rx', 0o555],
  ['ug=rwx,o=', 0o770],
  ['u+rwx', 0o700],
  ['a=rwx,o-w', 0o775],
  ['u=rwx,g=u', 0o770],
  ['u=rwx,g+s', 0o2700],
  ['u=rwxs', 0o4700],
  ['a=rwxt', 0o1777],
  ['u=rwX,go=rX', 0o755, 'directory'],
  ['u=rwX,go=rX', 0o644, 'file'],
  ['u=rwx,go=rX', 0o755, 'file'],
  ['u=rw+x', 0o700],
];

const INVALID: Array<[string | number, RegExp, string?]> = [
  ['0999', /"0999" is not a valid mode \(octal digits are 0 to 7\)/],
  ['12345', /more than four octal digits/],
  ['rwxr-xr-x', /"rwxr-xr-x" is not a valid mode/],
  ['u=rwz', /unknown permission letter in "=rwz"/],
  ['', /the mode is empty/],
  ['0o17777', /above 07777|more than four/],
  [999, /999 is not a valid mode \(octal digits are 0 to 7\)/],
  [-1, /is not a valid mode/],
  [1.5, /is not a valid mode/],
];

describe('parseMode', () => {
  for (const [value, expected, kind, text] of VALID) {
    test(`${JSON.stringify(value)}${text ? ` written ${text}` : ''}${kind ? ` (${kind})` : ''} is ${formatMode(expected)}`, () => {
      const result = parseMode(value, kind, text);
      assert.deepEqual(result, { ok: true, mode: expected });
    });
  }
  for (const [value, message] of INVALID) {
    test(`${JSON.stringify(value)} is rejected`, () => {
      const result = parseMode(value);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.match(result.message, message);
        // Every rejection lists the accepted forms.
        assert.match(result.message, /"0755".*"u=rwx,g=rx,o="/);
      }
    });
  }
  test('booleans and lists are not modes', () => {
    assert.equal(parseMode(true).ok, false);
    assert.equal(parseMode(['0700']).ok, false);
  });
  test('formatMode', () => {
    assert.equal(formatMode(0o755), '0755');
    assert.equal(formatMode(0o2775), '02775');
    assert.equal(formatMode(0), '0000');
  });
});
