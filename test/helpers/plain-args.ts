// What the full command line hands a command's runner, to hold the plain readers of
// src/cli/fast-args.ts (apply's boot path, diff's) to it.

import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';

/** The options the full command line hands to `name`'s runner for `argv`, with `env`. */
export async function fullOptions(
  name: string,
  argv: string[],
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  const saved = { ...process.env };
  for (const k of ['KEEPSAKE_CONFIG', 'KEEPSAKE_DEBUG']) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const { program } = buildProgram();
    let got: Record<string, unknown> | undefined;
    const command = program.commands.find((c) => c.name() === name) as Command;
    // commander calls an action with the positional arguments, the options, the command.
    command.action((...given: unknown[]) => {
      const cmd = given.at(-1) as Command;
      const opts = given.at(-2) as Record<string, unknown>;
      const paths = given.length > 2 ? (given[0] as string[]) : [];
      got = { ...opts, rootGiven: cmd.getOptionValueSource('root') !== 'default', args: paths };
    });
    await program.parseAsync(argv);
    assert.ok(got, `the full command line ran no ${name} for ${argv.join(' ')}`);
    return got;
  } finally {
    process.env = saved;
  }
}

/** The reader's options for `argv` are the full command line's (those it leaves unset aside). */
export async function agreesWithFullCommandLine(
  name: string,
  reader: (argv: string[], env: Record<string, string>) => object | undefined,
  args: string[],
  env: Record<string, string>,
): Promise<void> {
  const argv = ['node', 'keepsake', ...args];
  const fast = reader(argv, env);
  assert.ok(fast, 'left to the full command line');
  const full = await fullOptions(name, argv, env);
  // The full command line leaves an option it was not given undefined.
  const defined = Object.fromEntries(Object.entries(fast).filter(([, v]) => v !== undefined));
  assert.deepEqual(defined, full);
}
