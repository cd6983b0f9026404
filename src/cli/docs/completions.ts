// Shell completions for bash, zsh and fish, rendered from the command definitions: commands,
// subcommands, each command's options, and for option values and arguments what they name
// (configuration files, directories, users, paths).

import { singleQuoted } from '../../core/display.js';
import { type CommandInfo, describeProgram, leaves, type OptionInfo } from './commands.js';

/** What completes an option's value or a positional argument. */
type Kind = 'config' | 'dir' | 'file' | 'user' | 'none';

function valueKind(o: OptionInfo): Kind {
  if (o.value === undefined) return 'none';
  if (o.long === '--config') return 'config';
  if (o.long === '--user') return 'user';
  if (/dir$/.test(o.value)) return 'dir';
  if (o.value === 'path' || o.value === 'file') return 'file';
  return 'none';
}

function argKind(arg: string): Kind {
  return /^[<[]path/.test(arg) ? 'file' : 'none';
}

const words = (c: CommandInfo) => c.path.join(' ');
const names = (o: OptionInfo) => [o.short, o.long].filter((n): n is string => n !== undefined);

/** Each command's options that take a value, as `command:option` patterns for bash's case. */
function valueOptions(commands: readonly CommandInfo[]): { pattern: string; kind: Kind }[] {
  return leaves(commands).flatMap((c) =>
    c.options
      .filter((o) => o.value !== undefined)
      .flatMap((o) =>
        names(o).map((n) => ({ pattern: `${singleQuoted(words(c))}:${n}`, kind: valueKind(o) })),
      ),
  );
}

// compgen -W splits on IFS, which the function sets to a newline (file names may hold spaces).
const wordList = (ws: readonly string[]) => `$'${ws.join('\\n')}'`;

const BASH_KIND: Record<Kind, string> = {
  config:
    'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"; for e in yaml yml toml json; do compgen -f -X "!*.$e" -- "$cur"; done))',
  dir: 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"))',
  file: 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))',
  user: 'COMPREPLY=($(compgen -u -- "$cur"))',
  none: 'COMPREPLY=()',
};

export function renderBash(): string {
  const { commands } = describeProgram();
  const values = valueOptions(commands);
  const byKind = (k: Kind) => values.filter((v) => v.kind === k).map((v) => v.pattern);
  const groups = commands.filter((c) => c.subcommands.length > 0);
  const optionCases = leaves(commands).map(
    (c) =>
      `    ${singleQuoted(words(c))}) opts=${singleQuoted([...c.options.flatMap(names), '--help'].join(' '))} ;;`,
  );
  const argCases = leaves(commands)
    .filter((c) => c.args.some((a) => argKind(a) !== 'none'))
    .map((c) => `    ${singleQuoted(words(c))}) ${BASH_KIND.file}; return 0 ;;`);
  const kinds = (['config', 'dir', 'file', 'user', 'none'] as const)
    .filter((k) => byKind(k).length > 0)
    .map((k) => `    ${byKind(k).join('|')}) ${BASH_KIND[k]}; return 0 ;;`);
  return `# bash completion for keepsake(8), rendered from its command definitions.
_keepsake() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD - 1]}
  local IFS=$'\\n' cmd='' word i e opts
  # The command so far: the words before the cursor that are not options or their values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    case "$cmd:$word" in
      ${values.map((v) => v.pattern).join('|')}) ((i++)); continue ;;
      *:-*) continue ;;
    esac
    case "$cmd" in
      '') cmd=$word ;;
${groups.map((g) => `      ${singleQuoted(words(g))}) cmd="$cmd $word" ;;`).join('\n')}
      *) break ;;
    esac
  done
  case "$cmd:$prev" in
${kinds.join('\n')}
  esac
  if [[ $cur == -* ]]; then
    case "$cmd" in
${optionCases.join('\n')}
    '') opts='--version --help' ;;
    *) opts='--help' ;;
    esac
    IFS=' ' read -r -a opts <<<"$opts"
    COMPREPLY=($(compgen -W "\${opts[*]}" -- "$cur"))
    return
  fi
  case "$cmd" in
    '') COMPREPLY=($(compgen -W ${wordList(commands.map((c) => c.path[0]!))} -- "$cur")) ;;
${groups.map((g) => `    ${singleQuoted(words(g))}) COMPREPLY=($(compgen -W ${wordList(g.subcommands.map((c) => c.path.at(-1)!))} -- "$cur")) ;;`).join('\n')}
${argCases.join('\n')}
    *) COMPREPLY=() ;;
  esac
}
complete -F _keepsake keepsake
`;
}

// zsh's _arguments specs: '(-n --dry-run)'{-n,--dry-run}'[what it does]:value:action'.
const ZSH_KIND: Record<Kind, string> = {
  config: ':file:_files -g "*.(yaml|yml|toml|json)(-.)"',
  dir: ':directory:_files -/',
  file: ':path:_files',
  user: ':user:_users',
  none: ':value: ',
};

const zshText = (s: string) => s.replace(/[[\]\\:]/g, (c) => `\\${c}`);

function zshOption(o: OptionInfo): string {
  const n = names(o);
  const value = o.value === undefined ? '' : ZSH_KIND[valueKind(o)];
  const spec = `[${zshText(o.description)}]${value}`;
  if (n.length === 1) return singleQuoted(`${n[0]}${spec}`);
  return `${singleQuoted(`(${n.join(' ')})`)}{${n.join(',')}}${singleQuoted(spec)}`;
}

function zshArgs(c: CommandInfo): string[] {
  return c.args.map((a, i) => {
    const name = a.replace(/[<>[\].]/g, '');
    const action = argKind(a) === 'file' ? '_files' : ' ';
    return singleQuoted(
      `${a.endsWith('...]') || a.endsWith('...>') ? '*' : String(i + 1)}:${name}:${action}`,
    );
  });
}

function zshFunction(name: string, label: string, commands: readonly CommandInfo[]): string[] {
  const inner = commands.flatMap((c) =>
    c.subcommands.length > 0
      ? zshFunction(`${name}_${c.path.at(-1)}`, `${label} ${c.path.at(-1)}`, c.subcommands)
      : [],
  );
  const cases = commands.map((c) => {
    const last = c.path.at(-1);
    if (c.subcommands.length > 0) return `        ${last}) ${name}_${last} ;;`;
    const specs = [...c.options.map(zshOption), ...zshArgs(c)];
    return `        ${last}) _arguments -s ${specs.join(' ')} ;;`;
  });
  return [
    ...inner,
    `${name}() {`,
    '  local curcontext="$curcontext" state line',
    `  local -a commands=(${commands.map((c) => singleQuoted(`${c.path.at(-1)}:${c.description}`)).join(' ')})`,
    `  _arguments -C ${label === 'keepsake' ? "'(- *)--version[print the version]' " : ''}'(- *)'{-h,--help}'[show help]' '1: :->cmd' '*:: :->args' && return`,
    '  case $state in',
    `    cmd) _describe -t commands ${singleQuoted(`${label} command`)} commands ;;`,
    '    args)',
    '      case $line[1] in',
    ...cases,
    '      esac ;;',
    '  esac',
    '}',
  ];
}

export function renderZsh(): string {
  const { commands } = describeProgram();
  return `#compdef keepsake
# zsh completion for keepsake(8), rendered from its command definitions.
${zshFunction('_keepsake', 'keepsake', commands).join('\n')}
_keepsake "$@"
`;
}

// -f on each: the value of an option is otherwise completed with any file as well.
const FISH_KIND: Record<Kind, string> = {
  config: "-r -f -a '(__keepsake_configs)'",
  dir: "-r -f -a '(__fish_complete_directories)'",
  file: '-r -F',
  user: "-r -f -a '(__fish_complete_users)'",
  none: '-r -f',
};

export function renderFish(): string {
  const { commands } = describeProgram();
  const lines: string[] = [
    '# fish completion for keepsake(8), rendered from its command definitions.',
    // Configuration files by their extension, and directories to look in.
    'function __keepsake_configs',
    "    __fish_complete_path (commandline -ct) | string match -r -- '^.*(?:/|\\.(?:yaml|yml|toml|json))\\t.*$'",
    'end',
    'complete -c keepsake -f',
    `complete -c keepsake -n __fish_use_subcommand -l version -d 'print the version'`,
  ];
  const groups = commands.filter((c) => c.subcommands.length > 0).map((c) => c.path[0]);
  for (const c of commands)
    lines.push(
      `complete -c keepsake -n __fish_use_subcommand -a ${c.path[0]} -d ${singleQuoted(c.description)}`,
    );
  for (const g of commands.filter((c) => c.subcommands.length > 0)) {
    const subs = g.subcommands.map((c) => c.path.at(-1)).join(' ');
    for (const c of g.subcommands)
      lines.push(
        `complete -c keepsake -n ${singleQuoted(`__fish_seen_subcommand_from ${g.path[0]}; and not __fish_seen_subcommand_from ${subs}`)} -a ${c.path.at(-1)} -d ${singleQuoted(c.description)}`,
      );
  }
  for (const c of leaves(commands)) {
    // A leaf's condition: its own words seen, and no group seen unless it is in that group.
    const cond =
      c.path.length === 1
        ? `__fish_seen_subcommand_from ${c.path[0]}${groups.length > 0 ? `; and not __fish_seen_subcommand_from ${groups.join(' ')}` : ''}`
        : c.path.map((w) => `__fish_seen_subcommand_from ${w}`).join('; and ');
    for (const o of c.options) {
      const flags = [o.short ? `-s ${o.short.slice(1)}` : '', `-l ${o.long.slice(2)}`].filter(
        Boolean,
      );
      const value = o.value === undefined ? '' : ` ${FISH_KIND[valueKind(o)]}`;
      lines.push(
        `complete -c keepsake -n ${singleQuoted(cond)} ${flags.join(' ')}${value} -d ${singleQuoted(o.description)}`,
      );
    }
    if (c.args.some((a) => argKind(a) === 'file'))
      lines.push(`complete -c keepsake -n ${singleQuoted(cond)} -F`);
  }
  return `${lines.join('\n')}\n`;
}
