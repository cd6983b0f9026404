// keepsake(8): every command with its options, rendered from the command definitions.

import { SCHEMA_FILE } from '../../config/json-schema.js';
import { VERSION } from '../../version.js';
import { DEFAULT_CONFIG } from '../main.js';
import {
  type CommandInfo,
  describeProgram,
  type OptionInfo,
  ownOptions,
  type ProgramInfo,
} from './commands.js';
import { header, line, macro, markdown, paragraphs, text } from './roff.js';

const sentence = (s: string) =>
  `${s.charAt(0).toUpperCase()}${s.slice(1)}${/\.$/.test(s) ? '' : '.'}`;

function flags(o: OptionInfo): string {
  const names = [o.short, o.long].filter((n): n is string => n !== undefined);
  const value = o.value === undefined ? '' : ` \\fI${text(o.value)}\\fR`;
  return `${names.map((n) => `\\fB${text(n)}\\fR`).join(', ')}${value}`;
}

function option(o: OptionInfo): string[] {
  const extra = [
    o.default !== undefined ? `default: ${o.default}` : '',
    o.env !== undefined ? `or set ${o.env}` : '',
  ].filter(Boolean);
  const more = extra.length > 0 ? ` (${extra.join('; ')})` : '';
  return ['.TP', flags(o), line(text(sentence(`${o.description}${more}`)))];
}

function synopsis(cmd: CommandInfo): string {
  const words = ['keepsake', ...cmd.path].map((w) => `\\fB${text(w)}\\fR`);
  const rest = [cmd.options.length > 0 ? '[\\fIoptions\\fR]' : '', ...cmd.args.map((a) => text(a))];
  return [...words, ...rest.filter(Boolean)].join(' ');
}

function command(info: ProgramInfo, cmd: CommandInfo): string[] {
  if (cmd.subcommands.length > 0) {
    return [
      macro('SS', text(['keepsake', ...cmd.path].join(' '))),
      line(text(sentence(cmd.description))),
      ...cmd.subcommands.flatMap((c) => command(info, c)),
    ];
  }
  const own = ownOptions(info, cmd);
  const common = own.length < cmd.options.length;
  return [
    macro('SS', text(['keepsake', ...cmd.path].join(' '))),
    synopsis(cmd),
    '.PP',
    line(text(sentence(cmd.description))),
    ...paragraphs(cmd.more),
    ...(own.length > 0 || common
      ? ['.PP', common ? 'Options, besides the common ones:' : 'Options:']
      : []),
    ...(own.length > 0 ? ['.RS', ...own.flatMap(option), '.RE'] : common ? ['none.'] : []),
  ];
}

export function renderKeepsakeManual(): string {
  const info = describeProgram();
  return `${[
    ...header('KEEPSAKE', 8, 'System Administration', VERSION),
    '.SH NAME',
    `keepsake \\- ${text(info.description.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase()))}`,
    '.SH SYNOPSIS',
    '\\fBkeepsake\\fR \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]',
    '.br',
    '\\fBkeepsake\\fR \\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR',
    '.SH DESCRIPTION',
    ...paragraphs(
      `keepsake reads a declaration of what must survive a reboot (see keepsake.yaml(5)) and makes the persistent data kept in a store such as \`/persist\` appear in place, with kernel bind mounts and symbolic links. It runs as root; at boot it runs from keepsake.service (see \`keepsake install-service\`) or from the units \`keepsake compile\` writes.

It checks everything before the first change, and never deletes data it has not copied and verified. At boot, one entry's problem does not stop the others; every problem is reported.

\`keepsake <command> --help\` shows a command's options.`,
    ),
    '.SH COMMON OPTIONS',
    'Every command that reads the configuration accepts these.',
    ...info.common.flatMap(option),
    '.SH COMMANDS',
    ...info.commands.flatMap((c) => command(info, c)),
    '.SH ENVIRONMENT',
    ...info.common
      .filter((o) => o.env !== undefined)
      .flatMap((o) => [
        '.TP',
        `\\fB${text(o.env!)}\\fR`,
        line(text(`The configuration file, as ${o.long} gives it.`)),
      ]),
    '.TP',
    '\\fBKEEPSAKE_MOUNT_BACKEND\\fR',
    line(
      markdown(
        '`native` makes the mounts with the native addon in `/usr/lib/keepsake` (the default when it loads), `exec` with mount(8).',
      ),
    ),
    '.TP',
    '\\fBNO_COLOR\\fR',
    'When set, the output is never coloured.',
    '.SH FILES',
    '.TP',
    `\\fI${text(DEFAULT_CONFIG)}\\fR`,
    'The configuration read when no other is given.',
    '.TP',
    `\\fI${text(SCHEMA_FILE)}\\fR`,
    line(markdown("The configuration's JSON Schema, as `keepsake schema` prints it.")),
    '.SH EXIT STATUS',
    '.TP',
    '0',
    'Success.',
    '.TP',
    '1',
    'A failure; for status: drift; for diff: escaped state.',
    '.TP',
    '2',
    'The configuration or the command line is invalid; nothing was changed.',
    '.SH SEE ALSO',
    '\\fBkeepsake.yaml\\fR(5), \\fBmount\\fR(8), \\fBsystemd.mount\\fR(5), \\fBsystemd\\-tmpfiles\\fR(8)',
  ].join('\n')}\n`;
}
