// The command line as plain data, read from the program ../main.ts builds from the commands'
// declarations (../declare/), for the
// manual page and the shell completions: they list exactly what the program accepts.

import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { buildProgram } from '../main.js';

export interface OptionInfo {
  flags: string;
  short?: string;
  long: string;
  /** The value's name (`file` for `--config <file>`); absent for a switch. */
  value?: string;
  description: string;
  /** The default as help shows it; absent for switches and options without one. */
  default?: string;
  env?: string;
}

export interface CommandInfo {
  /** The words after `keepsake`, e.g. ['home', 'apply']. */
  path: string[];
  description: string;
  /** Positional arguments as usage writes them: `<path>`, `[generation]`, `[path...]`. */
  args: string[];
  options: OptionInfo[];
  /** Commands below this one (`home`'s); a command with some only groups them. */
  subcommands: CommandInfo[];
  /** The text `--help` prints after the option list. */
  more: string;
}

function optionInfo(o: Command['options'][number]): OptionInfo {
  const value = /\s[<[](.+)[>\]]$/.exec(o.flags)?.[1];
  const shown =
    o.negate || o.defaultValue === undefined || typeof o.defaultValue === 'boolean'
      ? undefined
      : String(o.defaultValue);
  return {
    flags: o.flags,
    ...(o.short ? { short: o.short } : {}),
    long: o.long ?? o.flags,
    ...(value !== undefined ? { value } : {}),
    description: o.description,
    ...(shown !== undefined ? { default: shown } : {}),
    ...(o.envVar ? { env: o.envVar } : {}),
  };
}

// commander writes the text added with addHelpText through the output it is configured with,
// after the help proper: capture the whole help and keep what follows.
function helpAfter(cmd: Command): string {
  let all = '';
  cmd.configureOutput({ writeOut: (s) => (all += s), writeErr: (s) => (all += s) });
  cmd.outputHelp();
  return all.slice(cmd.helpInformation().length).trim();
}

function commandInfo(cmd: Command, parent: string[]): CommandInfo {
  const path = [...parent, cmd.name()];
  return {
    path,
    description: cmd.description(),
    args: cmd.registeredArguments.map((a) => {
      const name = `${a.name()}${a.variadic ? '...' : ''}`;
      return a.required ? `<${name}>` : `[${name}]`;
    }),
    options: cmd.options.map(optionInfo),
    subcommands: cmd.commands.map((c) => commandInfo(c, path)),
    more: helpAfter(cmd),
  };
}

export interface ProgramInfo {
  description: string;
  commands: CommandInfo[];
  /** Options every command that reads the configuration accepts (`--config`, `--root`...). */
  common: OptionInfo[];
}

/** Every command that runs something (not a group), depth first. */
export function leaves(commands: readonly CommandInfo[]): CommandInfo[] {
  return commands.flatMap((c) => (c.subcommands.length > 0 ? leaves(c.subcommands) : [c]));
}

export function describeProgram(): ProgramInfo {
  const { program } = buildProgram();
  const commands = program.commands.map((c) => commandInfo(c, []));
  const withConfig = leaves(commands).filter((c) => c.options.some((o) => o.long === '--config'));
  const first = withConfig[0]?.options ?? [];
  const common = first.filter((o) =>
    withConfig.every((c) => c.options.some((p) => p.flags === o.flags)),
  );
  return { description: program.description(), commands, common };
}

/** A command's own options: the common ones are described once. */
export function ownOptions(info: ProgramInfo, cmd: CommandInfo): OptionInfo[] {
  const common = new Set(info.common.map((o) => o.flags));
  const hasAll = info.common.every((o) => cmd.options.some((p) => p.flags === o.flags));
  return hasAll ? cmd.options.filter((o) => !common.has(o.flags)) : cmd.options;
}
