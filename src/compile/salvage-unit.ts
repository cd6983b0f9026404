// The shutdown half of `salvage.enable`: `keepsake salvage run` while this boot's files are
// still on the ephemeral file systems and the store is still mounted. In service mode it is
// keepsake.service's first ExecStop, before release; in compiled mode a unit of its own,
// ordered after every bind so that at shutdown (reverse order) it runs before any unmount.

import type { Model } from '../model/types.js';
import { salvageSettings } from '../salvage/settings.js';
import { unitWord } from './escape.js';
import type { CompiledFile } from './types.js';
import { each, unitFile, wantsLink } from './unit-file.js';

export const SALVAGE_UNIT = 'keepsake-salvage.service';
/** The launcher compiled mode names when nothing says otherwise. */
const COMPILED_BIN = '/usr/local/bin/keepsake';

export function salvageEnabled(model: Model): boolean {
  return model.salvage?.enable === true;
}

/**
 * The command, prefixed `-`: a partial salvage (exit 1) must never keep the unmounts after it
 * from running. systemd expands `$` in arguments only: it is doubled there.
 */
export function salvageCommand(bin: string, configFile: string): string {
  return `-${[
    unitWord(bin, { command: false }),
    ...['salvage', 'run', '--config', configFile].map((w) => unitWord(w, { command: true })),
  ].join(' ')}`;
}

/** Where the ephemeral files salvage copies may live on a file system of their own. */
export function salvageReads(model: Model): string[] {
  return ['/home', ...(model.ephemeral ?? []).map((e) => e.path)];
}

/** Room for the salvage's own time limit, and a minute more for what follows it. */
export function stopTimeoutSec(model: Model, base: number): number {
  if (!salvageEnabled(model)) return base;
  return Math.max(base, Math.ceil(salvageSettings(model).timeoutMs / 1000) + 60);
}

/** Compiled mode's unit, and its link into keepsake.target; none when salvage is off. */
export function salvageUnitFiles(
  model: Model,
  opts: { after: readonly string[]; target: string; header: string[]; bin?: string },
): CompiledFile[] {
  if (!salvageEnabled(model)) return [];
  const configDir = model.configFile.slice(0, model.configFile.lastIndexOf('/')) || '/';
  const word = (p: string) => unitWord(p, { command: false });
  const unit = unitFile(`system/${SALVAGE_UNIT}`, opts.header, [
    {
      name: 'Unit',
      lines: [
        ['Description', 'keepsake: salvage the undeclared files of this boot at shutdown'],
        ['DefaultDependencies', 'no'],
        ...each(
          'RequiresMountsFor',
          [...new Set([...model.stores, configDir, ...salvageReads(model)])]
            .filter((p) => p !== '/')
            .map(word),
        ),
        ['#', 'Started after every bind, so stopped before any of them is unmounted.'],
        ...each('After', [opts.target, ...opts.after]),
        ['Before', 'umount.target'],
        ['Conflicts', 'umount.target'],
      ],
    },
    {
      name: 'Service',
      lines: [
        ['Type', 'oneshot'],
        ['RemainAfterExit', 'yes'],
        ['ExecStart', '/bin/true'],
        ['ExecStop', salvageCommand(opts.bin ?? COMPILED_BIN, model.configFile)],
        ['TimeoutStopSec', `${stopTimeoutSec(model, 90)}s`],
      ],
    },
    { name: 'Install', lines: [['WantedBy', opts.target]] },
  ]);
  return [unit, wantsLink('system', opts.target, SALVAGE_UNIT)];
}
