// `keepsake diff` with plain arguments is read without the command-line framework
// (src/cli/fast-diff.ts): for every argument list it accepts, the options and paths must be
// exactly those the full command line gives; everything else is left to the full command line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainDiffArgs } from '../../src/cli/fast-diff.js';
import { agreesWithFullCommandLine } from '../helpers/plain-args.js';

const plain: Array<[string[], Record<string, string>]> = [
  [['diff'], {}],
  [['diff', '/var'], {}],
  [['diff', '/var', '/home', '-d', '2'], {}],
  [['diff', '--depth', '5', '/srv', '--all'], {}],
  [['diff', '-a', '--min-size', '64k', '--sort', 'path'], {}],
  [['diff', '--sort=mtime', '--min-size=10M', '--depth=1'], {}],
  [['diff', '-c', '/a.yaml', '-r', '/sysroot', '--json', '-v', '-q'], {}],
  [['diff', '--config=/a.toml', '--root=/mnt', '--no-color', '--debug', '/x'], {}],
  [['diff', '--config', '/first.yaml', '--config', '/second.yaml'], {}],
  [['diff', '/a', '-d', '1', '/b'], {}],
  [['diff'], { KEEPSAKE_CONFIG: '/from/env.json' }],
  [['diff', '-c', '/given.yaml'], { KEEPSAKE_CONFIG: '/from/env.json' }],
  [['diff', '--depth', '0'], { KEEPSAKE_DEBUG: '0' }],
  [['diff', 'relative/path'], {}],
  // Paths spelt as what every object inherits are paths all the same.
  [['diff', 'constructor', 'toString', '__proto__', 'hasOwnProperty'], {}],
];

describe('plain diff arguments', () => {
  for (const [args, env] of plain) {
    it(`reads ${args.join(' ')} ${JSON.stringify(env)} as the full command line does`, () =>
      agreesWithFullCommandLine('diff', plainDiffArgs, args, env));
  }

  it('leaves everything else to the full command line', () => {
    const others = [
      [],
      ['apply'],
      ['diff', '--help'],
      ['diff', '-h'],
      ['diff', '--al'],
      ['diff', '-ad', '2'],
      ['diff', '--depth'],
      ['diff', '--depth', ''],
      ['diff', '--depth', '-1'],
      ['diff', '--sort', '--all'],
      ['diff', '-d2'],
      ['diff', '--'],
      ['diff', '-'],
      ['diff', ''],
      ['--json', 'diff'],
      ['diff', '--toString'],
      ['diff', '--constructor=x'],
    ];
    for (const args of others)
      assert.equal(plainDiffArgs(['node', 'keepsake', ...args], {}), undefined, args.join(' '));
    assert.equal(
      plainDiffArgs(['node', 'keepsake', 'diff'], { KEEPSAKE_CONFIG: '' }),
      undefined,
      'an empty KEEPSAKE_CONFIG',
    );
  });
});
