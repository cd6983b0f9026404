import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareInstallService = (parent: Command) =>
  declared(
    parent,
    'install-service',
    'install keepsake.service, which runs keepsake apply at boot and keepsake release at shutdown',
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

export type InstallServiceOptions = RunOptions<typeof declareInstallService>;
