// /etc/machine-id persisted: systemd-machine-id-commit.service writes systemd's transient id
// (a tmpfs file bound over /etc/machine-id) into the file below it, and fails when the top
// mount at /etc/machine-id is anything else. Once keepsake's bind of the stored id is there, the
// id is already persistent: a drop-in skips the commit then, and lets it run when systemd's own
// transient id is on top (the first boot with an id bound from the initrd, still a seed).

import { MACHINE_ID } from '../core/paths.js';
import { topIsTmpfsCommand } from './checks.js';
import type { CompiledFile } from './types.js';
import { unitFile } from './unit-file.js';

export { MACHINE_ID };
export const COMMIT_UNIT = 'systemd-machine-id-commit.service';

/** The drop-in for `dir` (`''` for a unit directory, or a directory's path without the
 *  leading `/`, e.g. `run/systemd/system`). */
export function machineIdCommitDropIn(dir: string, header: readonly string[]): CompiledFile {
  const base = dir === '' ? '' : `${dir.replace(/^\//, '')}/`;
  return unitFile(
    `${base}${COMMIT_UNIT}.d/keepsake.conf`,
    [...header, `Skips the commit unless systemd's transient id is on top of ${MACHINE_ID}.`],
    [
      {
        name: 'Service',
        lines: [
          ['#', 'Exits 1 (skipped, like a condition) when the stored id is bound on top.'],
          ['ExecCondition', topIsTmpfsCommand(MACHINE_ID)],
        ],
      },
    ],
  );
}
