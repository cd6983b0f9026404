// The command line: options and help live here; each command's work is loaded on demand.

import { Command, CommanderError, Option } from 'commander';
import { exitCodeFor } from '../errors.js';
import { VERSION } from '../version.js';
import { DEFAULT_CONFIG } from './defaults.js';
import { explain } from './explain.js';
import { createOutput, type Output } from './output.js';

export { DEFAULT_CONFIG };

export interface CommonOptions {
  config: string;
  root: string;
  json: boolean;
  /** Nothing on stdout but what the command was asked to produce; see docs/cli.md. */
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  /** Print the stack trace of a failure (KEEPSAKE_DEBUG=1 too). */
  debug?: boolean;
  /** `--root` was given on the command line or by the environment, not left at its default. */
  rootGiven?: boolean;
}

/**
 * The one place a failure is printed: as a message with a hint, whatever was thrown (see
 * explain.ts). The stack trace, of the error as it was thrown, only with --debug.
 */
export function report(e: unknown, out: Output, debug: boolean): number {
  const shown = explain(e);
  out.failure(shown);
  if (debug && !out.json && e instanceof Error && e.stack) out.error(out.paint('dim', e.stack));
  return exitCodeFor(shown);
}

type Runner = (
  opts: CommonOptions & { args: string[] } & Record<string, unknown>,
  out: Output,
) => Promise<number> | number;

/**
 * The command line, built but not parsed: `main` runs it, and the manual and the shell
 * completions are rendered from it. `exitCode` is the status the command that ran set.
 */
export function buildProgram(): { program: Command; exitCode: () => number } {
  let code = 0;
  const program = new Command('keepsake')
    .description('Declare what survives a reboot on an impermanent Linux system, and make it so.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const command = (
    name: string,
    description: string,
    load: () => Promise<{ run: Runner }>,
    args: string[] = [],
    parent: Command = program,
  ) => {
    const cmd = parent.command(name).description(description);
    for (const a of args) cmd.argument(a);
    cmd
      .addOption(
        new Option('-c, --config <file>', 'configuration file (.yaml, .yml, .toml or .json)')
          .env('KEEPSAKE_CONFIG')
          .default(DEFAULT_CONFIG),
      )
      .option('-r, --root <dir>', 'where the root file system is mounted (e.g. /sysroot)', '/')
      .option('--json', 'print JSON records for scripts, one a line (see docs/json.md)', false)
      .option(
        '-q, --quiet',
        'print nothing on success but what was asked for; problems still go to stderr',
        false,
      )
      .option('-v, --verbose', 'say more', false)
      .option('--no-color', 'never colour the output')
      .addOption(
        new Option('--debug', 'on failure, also print the stack trace').env('KEEPSAKE_DEBUG'),
      );
    // commander passes the positional arguments first, then the options, then the command.
    cmd.action(async (...got: unknown[]) => {
      const opts = got[args.length] as CommonOptions & Record<string, unknown>;
      opts.rootGiven = (got[args.length + 1] as Command).getOptionValueSource('root') !== 'default';
      const positional = got
        .slice(0, args.length)
        .flatMap((x) => (Array.isArray(x) ? x : [x]))
        .filter((x): x is string => typeof x === 'string');
      const out = createOutput({
        json: opts.json,
        quiet: opts.quiet,
        ...(opts.color ? {} : { color: false }),
      });
      try {
        code = await (await load()).run({ ...opts, args: positional }, out);
      } catch (e) {
        code = report(e, out, opts.debug === true);
      }
    });
    return cmd;
  };

  command(
    'apply',
    'make the live system match the configuration',
    () => import('./commands/apply.js'),
  )
    .option('-n, --dry-run', 'show what would be done, change nothing', false)
    .option('--adopt', 'move data found at targets into the store instead of refusing', false)
    .option(
      '--keep-going',
      'put in place every entry whose own checks pass; skip and name the others, exit 1',
      false,
    );
  command(
    'plan',
    'show what apply would do, and what it would refuse (apply --dry-run)',
    () => import('./commands/plan.js'),
  ).option('--adopt', 'plan as apply --adopt would', false);
  command(
    'status',
    'compare the declared state with the live system (exit 1 on drift)',
    () => import('./commands/status.js'),
  );
  command(
    'check',
    'validate the configuration file; with --root, also run the checks of plan on that root',
    () => import('./commands/check.js'),
  ).addHelpText(
    'after',
    `
Without --root, check reads only the file: syntax, options, values, users and paths. It looks
at no system, so a valid file may still be refused by apply (a store that is not mounted, data
at a target, a link in a path). With --root DIR, check also observes DIR as plan does and
reports every problem apply would refuse on, with exit 1 (exit 2 for an invalid file).`,
  );
  command(
    'init',
    'print a starter configuration for the machine at --root, from presets of what services keep',
    () => import('./commands/init.js'),
  )
    .option('-s, --store <path>', 'the storage location to propose', '/persist')
    .option(
      '-o, --output <file>',
      'write it to FILE instead of standard output (never overwrites)',
    );
  command(
    'schema',
    'print the JSON Schema of the configuration file (--records: of the --json records)',
    () => import('./commands/schema.js'),
  ).option('--records', 'print the JSON Schema of every record --json prints instead', false);
  command(
    'add',
    'persist a live path: declare it, move its data into the store, bind or link it back',
    () => import('./commands/add.js'),
    ['<path>'],
  )
    .option(
      '-s, --store <location>',
      "the storage location (default: the configuration's only one)",
    )
    .option('-u, --user <name>', "declare it in this user's home, relative to it")
    .option('-n, --dry-run', 'show the steps and the lines added to the configuration', false);
  command(
    'orphans',
    'list store data that no entry of the configuration refers to, with sizes',
    () => import('./commands/orphans.js'),
  );
  command(
    'prune',
    'delete orphaned store data (asks first, or --yes); never follows links or crosses mounts',
    () => import('./commands/prune.js'),
    ['[path...]'],
  ).option('-y, --yes', 'delete without asking', false);
  command(
    'diff',
    'show what lives on the ephemeral file systems, is not declared, and is lost at reboot',
    () => import('./commands/diff.js'),
    ['[path...]'],
  )
    .option('-a, --all', 'also show what the ignore rules leave out, marked', false)
    .option('-d, --depth <n>', 'levels of directories to show below each path', '3')
    .option('--min-size <size>', 'leave out paths smaller than this (e.g. 64k, 10M)', '0')
    .option('--sort <key>', 'size (largest first), path or mtime (newest first)', 'size')
    .addHelpText(
      'after',
      `
Walks what the next boot wipes (memory-backed file systems, and paths the configuration
declares \`ephemeral\`), or each PATH, without crossing into other file systems, /proc, /sys,
/dev, /run, the stores, or anything declared, and rolls what it finds up by directory. A directory
that holds nothing declared is shown with the command that persists it. Entries whose bind
mount or link was replaced by data of its own are reported first as escaped state (exit 1).
Ignore rules: the built-in list, then \`ignore\` in the configuration (keepsake ignore PATTERN).`,
    );
  command(
    'metrics',
    'print Prometheus metrics (entries, last apply, undeclared and orphaned bytes), or write them for node_exporter',
    () => import('./commands/metrics.js'),
  ).option(
    '--textfile [dir]',
    "write DIR/keepsake.prom atomically (no DIR: the configuration's metrics.textfile)",
  );
  command(
    'ignore',
    'add a pattern of paths keepsake diff leaves out to the configuration (gitignore-style)',
    () => import('./commands/ignore.js'),
    ['<pattern>'],
  )
    .option(
      '-s, --store <location>',
      "the storage location to write it under (default: the configuration's only one)",
    )
    .option('-u, --user <name>', "a pattern relative to this user's home")
    .option('-n, --dry-run', 'show the line that would be added', false);
  const salvage = program
    .command('salvage')
    .description('undeclared files the reboots wiped, copied at shutdown into the store');
  const salvageCommand = (
    name: 'run' | 'list' | 'restore' | 'add',
    what: string,
    args: string[] = [],
  ) =>
    command(
      name,
      what,
      () => import('./commands/salvage.js').then((m) => ({ run: m[`${name}Command`] as Runner })),
      args,
      salvage,
    );
  salvageCommand(
    'run',
    'copy the undeclared files changed since boot into the store (at shutdown)',
  );
  salvageCommand('list', 'list the boots salvaged, or one boot’s files and what it skipped', [
    '[boot]',
  ]);
  salvageCommand('restore', 'copy salvaged files back, with owner and mode', ['<path...>'])
    .option('-b, --boot <boot>', 'from this boot (default: the newest holding the path)')
    .option('-t, --to <dir>', 'put them under DIR instead of where they were')
    .option('-f, --force', 'replace a file or link that is there', false);
  salvageCommand('add', 'declare a salvaged path, and fill it from the salvage', ['<path>'])
    .option('-b, --boot <boot>', 'from this boot (default: the newest holding the path)')
    .option(
      '-s, --store <location>',
      "the storage location (default: the configuration's only one)",
    )
    .option('-u, --user <name>', "declare it in this user's home, relative to it");
  command(
    'generations',
    'list the generations recorded in the stores',
    () => import('./commands/generations.js'),
  );
  command(
    'diff-generations',
    'show what changed between two generations',
    () => import('./commands/diff-generations.js'),
    ['<from>', '<to>'],
  );
  command(
    'release',
    "take down this boot's bind mounts, deepest first (at shutdown; the data stays in the stores)",
    () => import('./commands/release.js'),
  ).option('-n, --dry-run', 'show what would be unmounted, change nothing', false);
  command(
    'rollback',
    "re-apply an older generation's setup (default: the one before the live one)",
    () => import('./commands/rollback.js'),
    ['[generation]'],
  ).option('-n, --dry-run', 'show what would be done, change nothing', false);
  command(
    'compile',
    'write systemd units that make the binds and links at boot, with no Node at boot',
    () => import('./commands/compile.js'),
  )
    .requiredOption(
      '--systemd <outdir>',
      'write the units into OUTDIR/system (replaced as a whole)',
    )
    .option(
      '--initrd',
      'units for the initrd: paths under /sysroot, done before initrd-fs.target',
      false,
    )
    .option(
      '--store-device <store=device[:fstype]>',
      'also mount a store from this device (repeatable)',
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .addHelpText(
      'after',
      `
OUTDIR/system holds one .mount unit per bind, keepsake-prepare.service (creates missing
stores, mount points and links with systemd-tmpfiles; existing paths keep their owner and
mode) and keepsake.target, enabled through OUTDIR/system/local-fs.target.wants (initrd:
initrd-fs.target.wants). Copy the directory's contents, links included, into a unit
directory: /etc/systemd/system, /usr/local/lib/systemd/system, an image's
/usr/lib/systemd/system, or the initrd's /etc/systemd/system. OUTDIR/tmpfiles.d/keepsake.conf
holds the prepare rules for reading. Needs systemd 252 or newer.

--store-device /persist=/dev/disk/by-label/persist:ext4 adds persist.mount (initrd:
sysroot-persist.mount). On a root with systemd.volatile=yes, /etc and so /etc/fstab are empty
at boot: this is how the store gets mounted there.`,
    );
  command(
    'install-service',
    'install keepsake.service, which runs keepsake apply at boot and keepsake release at shutdown',
    () => import('./commands/install-service.js'),
  )
    .option('--unit-dir <dir>', 'where to write the unit (default: /etc/systemd/system)')
    .option('--bin <path>', 'the keepsake launcher as the booted system sees it')
    .option('-n, --dry-run', 'print the unit, write nothing', false)
    .addHelpText(
      'after',
      `
Writes keepsake.service and local-fs.target.wants/keepsake.service into the unit directory.
On a volatile root /etc is empty at boot: install into /usr/local/lib/systemd/system or the
image's /usr/lib/systemd/system instead, and keep the configuration (--config, an absolute
path) in a store or under /usr, where it exists at boot. --bin defaults to the running
launcher when it lies under /usr or in a store, else /usr/local/bin/keepsake.`,
    );
  const home = program
    .command('home')
    .description(
      "the home files of users.<name>.files, linked from generations kept in the user's home store",
    );
  const homeCommand = (
    name: string,
    description: string,
    load: () => Promise<{ run: Runner }>,
    how: { args?: string[]; applies?: boolean } = {},
  ) => {
    const cmd = command(name, description, load, how.args, home).option(
      '-u, --user <name>',
      'as root: only this user (default: every user with home files)',
    );
    if (!how.applies) return cmd;
    return cmd
      .option('-n, --dry-run', 'show what would be done, change nothing', false)
      .option('-b, --backup <ext>', 'rename files in the way to <name>.<ext> instead of refusing')
      .option(
        '--files-only',
        'home files only; persistence entries are left to root’s binds',
        false,
      );
  };
  homeCommand(
    'apply',
    'link the declared home files (run by a user: also link the user’s persistence entries)',
    () => import('./commands/home-apply.js'),
    { applies: true },
  );
  homeCommand(
    'generations',
    'list the home generations',
    () => import('./commands/home-generations.js'),
  );
  homeCommand(
    'rollback',
    'link an older home generation again (default: the one before the current one)',
    () => import('./commands/home-rollback.js'),
    { args: ['[generation]'], applies: true },
  );
  homeCommand(
    'expire',
    'delete old home generations and the content only they use (never the current one)',
    () => import('./commands/home-expire.js'),
  )
    .option('--keep <n>', 'keep the newest N generations')
    .option('--older-than <days>', 'delete generations older than this many days');
  program
    .command('demo')
    .description('show keepsake at work in a throw-away namespace: apply, write, reboot, compare')
    .option('--keep', 'keep the temporary directory and print its path', false)
    .option('-q, --quiet', 'print nothing on success; problems still go to stderr', false)
    .addOption(
      new Option('--debug', 'on failure, also print the stack trace').env('KEEPSAKE_DEBUG'),
    )
    .action(async (opts: { keep: boolean; quiet: boolean; debug?: boolean }) => {
      const out = createOutput({ json: false, quiet: opts.quiet });
      try {
        code = await (await import('./demo/demo.js')).runDemo(opts, out);
      } catch (e) {
        code = report(e, out, opts.debug === true);
      }
    });
  return { program, exitCode: () => code };
}

export async function main(argv: string[]): Promise<number> {
  const { program, exitCode } = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help asked for, or the version: done. Help shown because no command was given (bare
      // `keepsake`, `keepsake home`) is bad usage, like any other.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      return 2;
    }
    throw e;
  }
  return exitCode();
}
