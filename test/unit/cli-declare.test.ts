// Each command declares its own name, arguments and options (src/cli/declare), and its code
// reads the options typed from that declaration: an option name the declaration does not
// have is a compile error, in the command's code as in the declaration. Building the command
// line loads the declarations only, never a command's work.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Command } from '@commander-js/extra-typings';
import type { AddOptions } from '../../src/cli/declare/add.js';
import type { ApplyOptions } from '../../src/cli/declare/apply.js';
import type { CheckOptions } from '../../src/cli/declare/check.js';
import { type CommonOptions, withCommon } from '../../src/cli/declare/common.js';
import type { CompileOptions } from '../../src/cli/declare/compile.js';
import type { DiffOptions } from '../../src/cli/declare/diff.js';
import type {
  DiffGenerationsOptions,
  GenerationsOptions,
  RollbackOptions,
} from '../../src/cli/declare/generations.js';
import type {
  HomeApplyOptions,
  HomeExpireOptions,
  HomeGenerationsOptions,
  HomeRollbackOptions,
} from '../../src/cli/declare/home.js';
import type { IgnoreOptions } from '../../src/cli/declare/ignore.js';
import type { InitOptions } from '../../src/cli/declare/init.js';
import type { InstallServiceOptions } from '../../src/cli/declare/install-service.js';
import type { MetricsOptions } from '../../src/cli/declare/metrics.js';
import type { OrphansOptions } from '../../src/cli/declare/orphans.js';
import type { PlanOptions } from '../../src/cli/declare/plan.js';
import type { PruneOptions } from '../../src/cli/declare/prune.js';
import type { ReleaseOptions } from '../../src/cli/declare/release.js';
import type {
  SalvageAddOptions,
  SalvageListOptions,
  SalvageRestoreOptions,
  SalvageRunOptions,
} from '../../src/cli/declare/salvage.js';
import type { SchemaOptions } from '../../src/cli/declare/schema.js';
import type { StatusOptions } from '../../src/cli/declare/status.js';
import { describeProgram, leaves } from '../../src/cli/docs/commands.js';
import { REPO } from '../helpers/boot.js';

/** Fixed names only: a record with a string index (`Record<string, unknown>`) takes any name. */
type Closed<T> = string extends keyof T ? false : true;
type Every = [
  CommonOptions,
  AddOptions,
  ApplyOptions,
  CheckOptions,
  CompileOptions,
  DiffOptions,
  DiffGenerationsOptions,
  GenerationsOptions,
  RollbackOptions,
  HomeApplyOptions,
  HomeExpireOptions,
  HomeGenerationsOptions,
  HomeRollbackOptions,
  IgnoreOptions,
  InitOptions,
  InstallServiceOptions,
  MetricsOptions,
  OrphansOptions,
  PlanOptions,
  PruneOptions,
  ReleaseOptions,
  SalvageAddOptions,
  SalvageListOptions,
  SalvageRestoreOptions,
  SalvageRunOptions,
  SchemaOptions,
  StatusOptions,
];
/** The positions in Every whose options take any name; none, or this file does not compile. */
type Loose = { [K in keyof Every]: Closed<Every[K]> extends true ? never : K }[number];
const noneLoose: [Loose] extends [never] ? true : false = true;

/** Never called: compiled, so that each line below must stay a type error. */
export function misspelt(
  apply: ApplyOptions,
  plan: PlanOptions,
  prune: PruneOptions,
  diff: DiffOptions,
  home: HomeApplyOptions,
  restore: SalvageRestoreOptions,
): unknown[] {
  return [
    // @ts-expect-error apply declares --keep-going
    apply.keepGoin,
    // @ts-expect-error apply declares --dry-run, as dryRun
    apply.dry_run,
    // @ts-expect-error --yes is prune's, not plan's
    plan.yes,
    // @ts-expect-error prune declares -y, --yes
    prune.y,
    // @ts-expect-error diff declares --min-size
    diff.minsize,
    // @ts-expect-error home apply declares --files-only
    home.fileOnly,
    // @ts-expect-error salvage restore declares -f, --force
    restore.forced,
    // What is declared reads with its type: a string where a value is given...
    diff.depth.length,
    // ...a boolean for a switch with a default, and what was given for the positional ones.
    apply.keepGoing === true,
    prune.args.length,
  ];
}

const SRC = path.join(REPO, 'src');

/** The modules `file` imports for their values when it is loaded (not those loaded on demand). */
function loadedWith(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?\bfrom\s+'(\.[^']+)'/gm)) {
    const target = path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'));
    if (existsSync(target)) loadedWith(target, seen);
  }
  return seen;
}

describe('command declarations', () => {
  it('type every option: no command reads a loose record', () => {
    assert.equal(noneLoose, true);
  });

  it('are built without loading any command’s work', () => {
    const loaded = [...loadedWith(path.join(SRC, 'cli', 'main.ts'))].map((f) =>
      path.relative(SRC, f),
    );
    const declarations = readdirSync(path.join(SRC, 'cli', 'declare')).map(
      (f) => `cli/declare/${f}`,
    );
    for (const d of declarations) assert.ok(loaded.includes(d), `${d} is loaded with main.ts`);
    const work = loaded.filter((f) => f.startsWith('cli/commands/') || f.startsWith('cli/demo/'));
    assert.deepEqual(work, []);
  });

  it('give every command that reads the configuration the common options, first', () => {
    const common = withCommon(new Command('x')).options.map((o) => o.flags);
    assert.ok(common.includes('-c, --config <file>'), common.join(' '));
    const withConfig = leaves(describeProgram().commands).filter((c) => c.path[0] !== 'demo');
    assert.ok(withConfig.length > 20, `${withConfig.length} commands`);
    for (const c of withConfig)
      assert.deepEqual(
        c.options.slice(0, common.length).map((o) => o.flags),
        common,
        c.path.join(' '),
      );
  });
});
