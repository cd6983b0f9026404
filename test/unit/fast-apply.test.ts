// `keepsake apply` with plain arguments is read without the command-line framework: for every
// argument list it accepts, the options must be exactly those the full command line gives;
// everything else must be left to the full command line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { plainApplyArgs } from '../../src/cli/fast-apply.js';
import { buildProgram } from '../../src/cli/main.js';

/** The options the full command line hands to apply's runner for `argv`, with `env`. */
async function fullApplyOptions(
  argv: string[],
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  const saved = { ...process.env };
  for (const k of ['KEEPSAKE_CONFIG', 'KEEPSAKE_DEBUG']) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const { program } = buildProgram();
    let got: Record<string, unknown> | undefined;
    const apply = program.commands.find((c) => c.name() === 'apply') as Command;
    apply.action((opts: Record<string, unknown>, cmd: Command) => {
      got = { ...opts, rootGiven: cmd.getOptionValueSource('root') !== 'default', args: [] };
    });
    await program.parseAsync(argv);
    assert.ok(got, `the full command line ran no apply for ${argv.join(' ')}`);
    return got;
  } finally {
    process.env = saved;
  }
}

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
    it(`reads ${args.join(' ')} ${JSON.stringify(env)} as the full command line does`, async () => {
      const argv = ['node', 'keepsake', ...args];
      const fast = plainApplyArgs(argv, env);
      assert.ok(fast, 'left to the full command line');
      const full = await fullApplyOptions(argv, env);
      // The full command line leaves an option it was not given undefined.
      const defined = Object.fromEntries(Object.entries(fast).filter(([, v]) => v !== undefined));
      assert.deepEqual(defined, full);
    });
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
