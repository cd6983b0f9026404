import type { Command } from '@commander-js/extra-typings';
import { declared, type RunOptions } from './common.js';

export const declareCompile = (parent: Command) =>
  declared(
    parent,
    'compile',
    'write systemd units that make the binds and links at boot, with no Node at boot',
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

export type CompileOptions = RunOptions<typeof declareCompile>;
