// `keepsake diff` with plain arguments is read without the command-line framework
// (src/cli/fast-diff.ts): for every argument list it accepts, the options and paths must be
// exactly those the full command line gives; everything else is left to the full command line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { plainDiffArgs } from '../../src/cli/fast-diff.js';
import { buildProgram } from '../../src/cli/main.js';

/** The options the full command line hands to diff's runner for `argv`, with `env`. */
async function fullDiffOptions(
  argv: string[],
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  const saved = { ...process.env };
  for (const k of ['KEEPSAKE_CONFIG', 'KEEPSAKE_DEBUG']) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const { program } = buildProgram();
    let got: Record<string, unknown> | undefined;
    const diff = program.commands.find((c) => c.name() === 'diff') as Command;
    diff.action((paths: string[], opts: Record<string, unknown>, cmd: Command) => {
      got = { ...opts, rootGiven: cmd.getOptionValueSource('root') !== 'default', args: paths };
    });
    await program.parseAsync(argv);
    assert.ok(got, `the full command line ran no diff for ${argv.join(' ')}`);
    return got;
  } finally {
    process.env = saved;
  }
}

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
];

describe('plain diff arguments', () => {
  for (const [args, env] of plain) {
    it(`reads ${args.join(' ')} ${JSON.stringify(env)} as the full command line does`, async () => {
      const argv = ['node', 'keepsake', ...args];
      const fast = plainDiffArgs(argv, env);
      assert.ok(fast, 'left to the full command line');
      const full = await fullDiffOptions(argv, env);
      // The full command line leaves an option it was not given undefined.
      const defined = Object.fromEntries(Object.entries(fast).filter(([, v]) => v !== undefined));
      assert.deepEqual(defined, full);
    });
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
