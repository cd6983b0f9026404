import type { Command } from '@commander-js/extra-typings';
import { type RunOptions, withCommon } from './common.js';

/** The group: `keepsake salvage` runs nothing by itself. */
export const declareSalvage = (parent: Command) =>
  parent
    .command('salvage')
    .description('undeclared files the reboots wiped, copied at shutdown into the store');

export const declareSalvageRun = (salvage: Command) =>
  withCommon(
    salvage
      .command('run')
      .description('copy the undeclared files changed since boot into the store (at shutdown)'),
  );

export const declareSalvageList = (salvage: Command) =>
  withCommon(
    salvage
      .command('list')
      .description('list the boots salvaged, or one boot’s files and what it skipped')
      .argument('[boot]'),
  );

export const declareSalvageRestore = (salvage: Command) =>
  withCommon(
    salvage
      .command('restore')
      .description('copy salvaged files back, with owner and mode')
      .argument('<path...>'),
  )
    .option('-b, --boot <boot>', 'from this boot (default: the newest holding the path)')
    .option('-t, --to <dir>', 'put them under DIR instead of where they were')
    .option('-f, --force', 'replace a file or link that is there', false);

export const declareSalvageAdd = (salvage: Command) =>
  withCommon(
    salvage
      .command('add')
      .description('declare a salvaged path, and fill it from the salvage')
      .argument('<path>'),
  )
    .option('-b, --boot <boot>', 'from this boot (default: the newest holding the path)')
    .option(
      '-s, --store <location>',
      "the storage location (default: the configuration's only one)",
    )
    .option('-u, --user <name>', "declare it in this user's home, relative to it");

export type SalvageRunOptions = RunOptions<typeof declareSalvageRun>;
export type SalvageListOptions = RunOptions<typeof declareSalvageList>;
export type SalvageRestoreOptions = RunOptions<typeof declareSalvageRestore>;
export type SalvageAddOptions = RunOptions<typeof declareSalvageAdd>;
