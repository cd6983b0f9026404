// `keepsake apply` with plain arguments is read without the command-line framework: for every
// argument list it accepts, the options must be exactly those the full command line gives;
// everything else must be left to the full command line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainApplyArgs } from '../../src/cli/fast-apply.js';
import { agreesWithFullCommandLine } from '../helpers/plain-args.js';

const plain: Array<[string[], Record<string, string>]> = [
  [['apply'], {}],
  [['apply', '--keep-going'], {}],
  [['apply', '--keep-going', '--config', '/persist/keepsake.json'], {}],
  [['apply', '--keep-going', '-q'], {}],
  [['apply', '--quiet', '--json'], {}],
  [['apply', '-c', '/a.yaml', '-r', '/sysroot', '--adopt', '-n', '-v', '--json'], {}],
  [['apply', '--config=/a.toml', '--root=/mnt', '--no-color', '--debug', '--dry-run'], {}],
  [['apply', '--verbose', '--config', '/first.yaml', '--config', '/second.yaml'], {}],
  [['apply', '--keep-going'], { KEEPSAKE_CONFIG: '/from/env.json' }],
  [['apply', '-c', '/given.yaml'], { KEEPSAKE_CONFIG: '/from/env.json' }],
  [['apply'], { KEEPSAKE_DEBUG: '0' }],
  [['apply', '--root', '/'], {}],
];

describe('plain apply arguments', () => {
  for (const [args, env] of plain) {
    it(`reads ${args.join(' ')} ${JSON.stringify(env)} as the full command line does`, () =>
      agreesWithFullCommandLine('apply', plainApplyArgs, args, env));
  }

  it('leaves everything else to the full command line', () => {
    const others = [
      [],
      ['--version'],
      ['plan'],
      ['apply', '--help'],
      ['apply', '-h'],
      ['apply', '--keep-goin'],
      ['apply', 'extra'],
      ['apply', '-nv'],
      ['apply', '--config'],
      ['apply', '--config', ''],
      ['apply', '--config', '--keep-going'],
      ['apply', '-c/a.yaml'],
      ['apply', '--'],
      ['--json', 'apply'],
      ['apply', 'constructor'],
      ['apply', 'toString'],
      ['apply', '--valueOf', 'x'],
    ];
    for (const args of others)
      assert.equal(plainApplyArgs(['node', 'keepsake', ...args], {}), undefined, args.join(' '));
    assert.equal(
      plainApplyArgs(['node', 'keepsake', 'apply'], { KEEPSAKE_CONFIG: '' }),
      undefined,
      'an empty KEEPSAKE_CONFIG',
    );
  });
});
