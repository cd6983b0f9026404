// keepsake.yaml(5): the configuration file, rendered from the schema table like the option
// reference and the JSON Schema, so the three say the same.

import { SCHEMA_FILE, SCHEMA_MODELINE } from '../../config/json-schema.js';
import { type OptionSpec, SCHEMA, type SectionSpec } from '../../config/schema.js';
import { VERSION } from '../../version.js';
import { header, line, macro, markdown, paragraphs, text } from './roff.js';

export const EXAMPLE = `${SCHEMA_MODELINE}
persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/log
      - /var/lib/nixos
      - { directory: /var/lib/colord, user: colord, group: colord, mode: "0700" }
    files:
      - /etc/machine-id
    users:
      jane:
        directories: [ Documents, { directory: .ssh, mode: "0700" } ]
        files: [ .bash_history ]`;

function option(o: OptionSpec): string[] {
  const def = o.default !== undefined ? `; default: ${o.default}` : o.required ? '; required' : '';
  return [
    '.TP',
    `\\fB${text(o.name)}\\fR (${markdown(`${o.typeLabel}${def}`)})`,
    line(markdown(o.description)),
  ];
}

function section(s: SectionSpec): string[] {
  return [
    macro('SS', text(s.title.replace(/`/g, ''))),
    ...(s.path !== ''
      ? [
          line(
            `At ${s.path
              .split('  ·  ')
              .map((p) => `\\fB${text(p)}\\fR`)
              .join(' and ')}.`,
          ),
          '.br',
        ]
      : []),
    line(markdown(s.description)),
    ...s.options.flatMap(option),
  ];
}

export function renderConfigManual(): string {
  return `${[
    ...header('KEEPSAKE.YAML', 5, 'File Formats', VERSION),
    '.SH NAME',
    'keepsake.yaml \\- keepsake\\(aqs configuration: what survives a reboot',
    '.SH SYNOPSIS',
    '\\fI/etc/keepsake/config.yaml\\fR',
    '.SH DESCRIPTION',
    ...paragraphs(
      "keepsake(8) reads its configuration from `/etc/keepsake/config.yaml`, or the file `--config` or `KEEPSAKE_CONFIG` names. It may be YAML (`.yaml`, `.yml`), TOML (`.toml`) or JSON (`.json`); all three hold the same map. Its shape is NixOS impermanence's `environment.persistence` (under `persistence`) and Home Manager's `home.persistence` (under `users.<user>.persistence`), so a declaration written for those reads unchanged.\n\nEvery entry is checked before anything changes: an error names the file, the line, the entry and a fix. A value left empty (YAML's `key:` with nothing after it, or null) counts as not set. `keepsake check` validates a file.",
    ),
    '.SH EXAMPLE',
    '.PP',
    '.EX',
    ...EXAMPLE.split('\n').map((l) => line(text(l))),
    '.EE',
    '.SH OPTIONS',
    ...SCHEMA.flatMap(section),
    '.SH EDITOR SUPPORT',
    ...paragraphs(
      `The JSON Schema of this file is installed as \`${SCHEMA_FILE}\`; \`keepsake schema\` prints it. Editors that use yaml-language-server (VS Code with the YAML extension, Neovim, Helix, Emacs with lsp-mode) complete and check the options of a YAML configuration whose first line is:`,
    ),
    '.PP',
    '.EX',
    text(SCHEMA_MODELINE),
    '.EE',
    '.SH SEE ALSO',
    '\\fBkeepsake\\fR(8)',
  ].join('\n')}\n`;
}
