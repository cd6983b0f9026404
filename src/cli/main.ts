// The command line: the commands, their order and what runs each. Each command declares its
// name, arguments and options in ./declare/ (small modules, typed from the declaration); its
// work is in ./commands/ and loaded on demand, when it runs.

import { Command, CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { VERSION } from '../version.js';
import { declareAdd } from './declare/add.js';
import { declareApply } from './declare/apply.js';
import { declareCheck } from './declare/check.js';
import type { CommonOptions, Given } from './declare/common.js';
import { declareCompile } from './declare/compile.js';
import { declareDemo } from './declare/demo.js';
import { declareDiff } from './declare/diff.js';
import {
  declareDiffGenerations,
  declareGenerations,
  declareRollback,
} from './declare/generations.js';
import {
  declareHome,
  declareHomeApply,
  declareHomeExpire,
  declareHomeGenerations,
  declareHomeRollback,
} from './declare/home.js';
import { declareIgnore } from './declare/ignore.js';
import { declareInit } from './declare/init.js';
import { declareInstallService } from './declare/install-service.js';
import { declareMetrics } from './declare/metrics.js';
import { declareOrphans } from './declare/orphans.js';
import { declarePlan } from './declare/plan.js';
import { declarePrune } from './declare/prune.js';
import { declareRelease } from './declare/release.js';
import {
  declareSalvage,
  declareSalvageAdd,
  declareSalvageList,
  declareSalvageRestore,
  declareSalvageRun,
} from './declare/salvage.js';
import { declareSchema } from './declare/schema.js';
import { declareStatus } from './declare/status.js';
import { DEFAULT_CONFIG } from './defaults.js';
import { createOutput, type Output } from './output.js';
import { report } from './report.js';

export { DEFAULT_CONFIG };

/** A command's work, with the options its declaration gives. */
type Runner<Opts> = (opts: Opts & Given, out: Output) => Promise<number> | number;

/**
 * The command line, built but not parsed: `main` runs it, and the manual and the shell
 * completions are rendered from it. `exitCode` is the status the command that ran set.
 */
export function buildProgram(): { program: CommandUnknownOpts; exitCode: () => number } {
  let code = 0;
  const program = new Command('keepsake')
    .description('Declare what survives a reboot on an impermanent Linux system, and make it so.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  /**
   * Runs `cmd` with the work `load` brings: `run` must take the options `cmd` declares (the
   * common ones among them), which is what makes a command's code and its declaration agree.
   */
  const runs = <Args extends unknown[], Opts extends Omit<CommonOptions, keyof Given>>(
    cmd: Command<Args, Opts>,
    load: () => Promise<{ run: Runner<Opts> }>,
  ) =>
    cmd.action(async () => {
      const declared = cmd.opts();
      const opts = {
        ...declared,
        rootGiven: cmd.getOptionValueSource('root') !== 'default',
        args: cmd.processedArgs
          .flatMap((x) => (Array.isArray(x) ? x : [x]))
          .filter((x): x is string => typeof x === 'string'),
      };
      const out = createOutput({
        json: opts.json,
        quiet: opts.quiet,
        ...(opts.color ? {} : { color: false }),
      });
      try {
        code = await (await load()).run(opts, out);
      } catch (e) {
        code = report(e, out, opts.debug === true);
      }
    });

  runs(declareApply(program), () => import('./commands/apply.js'));
  runs(declarePlan(program), () => import('./commands/plan.js'));
  runs(declareStatus(program), () => import('./commands/status.js'));
  runs(declareCheck(program), () => import('./commands/check.js'));
  runs(declareInit(program), () => import('./commands/init.js'));
  runs(declareSchema(program), () => import('./commands/schema.js'));
  runs(declareAdd(program), () => import('./commands/add.js'));
  runs(declareOrphans(program), () => import('./commands/orphans.js'));
  runs(declarePrune(program), () => import('./commands/prune.js'));
  runs(declareDiff(program), () => import('./commands/diff.js'));
  runs(declareMetrics(program), () => import('./commands/metrics.js'));
  runs(declareIgnore(program), () => import('./commands/ignore.js'));
  const salvage = declareSalvage(program);
  const salvageWork = () => import('./commands/salvage.js');
  runs(declareSalvageRun(salvage), () => salvageWork().then((m) => ({ run: m.runCommand })));
  runs(declareSalvageList(salvage), () => salvageWork().then((m) => ({ run: m.listCommand })));
  runs(declareSalvageRestore(salvage), () =>
    salvageWork().then((m) => ({ run: m.restoreCommand })),
  );
  runs(declareSalvageAdd(salvage), () => salvageWork().then((m) => ({ run: m.addCommand })));
  runs(declareGenerations(program), () => import('./commands/generations.js'));
  runs(declareDiffGenerations(program), () => import('./commands/diff-generations.js'));
  runs(declareRelease(program), () => import('./commands/release.js'));
  runs(declareRollback(program), () => import('./commands/rollback.js'));
  runs(declareCompile(program), () => import('./commands/compile.js'));
  runs(declareInstallService(program), () => import('./commands/install-service.js'));
  const home = declareHome(program);
  runs(declareHomeApply(home), () => import('./commands/home-apply.js'));
  runs(declareHomeGenerations(home), () => import('./commands/home-generations.js'));
  runs(declareHomeRollback(home), () => import('./commands/home-rollback.js'));
  runs(declareHomeExpire(home), () => import('./commands/home-expire.js'));
  const demo = declareDemo(program);
  demo.action(async () => {
    const opts = demo.opts();
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
