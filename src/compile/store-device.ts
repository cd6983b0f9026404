// `--store-device STORE=WHAT[:FSTYPE]`: the file system a store lives on, for a root whose /etc
// (and so /etc/fstab) is empty at boot.

import { normaliseAbsolute } from '../config/paths.js';
import { isWithin } from '../core/paths.js';
import { UsageError } from '../errors.js';
import { unitValueProblem } from './escape.js';
import type { StoreDevice } from './types.js';

/** A file system type: letters, digits, `.` and `_`, starting with a letter (`ext4`,
 *  `fuse.sshfs`), so that a colon inside a device path (`pci-0000:00:1f.2`) is not one. */
const FSTYPE = /^[a-z][a-z0-9._]*$/;

const USAGE = 'write it as STORE=DEVICE[:FSTYPE], e.g. /persist=/dev/disk/by-label/persist:ext4';

export function parseStoreDevices(
  specs: readonly string[],
  stores: readonly string[],
): StoreDevice[] {
  const out: StoreDevice[] = [];
  for (const spec of specs) {
    const device = parseOne(spec);
    if (!stores.some((s) => isWithin(s, device.store)))
      throw new UsageError(
        `--store-device ${JSON.stringify(spec)}: no store of the configuration lies in ${device.store}`,
        `the configuration's stores: ${stores.join(', ')}`,
      );
    if (out.some((d) => d.store === device.store))
      throw new UsageError(`--store-device: ${device.store} is given twice`);
    out.push(device);
  }
  return out;
}

function parseOne(spec: string): StoreDevice {
  const eq = spec.indexOf('=');
  if (eq <= 0)
    throw new UsageError(`--store-device ${JSON.stringify(spec)}: no STORE= part`, USAGE);
  const rawStore = spec.slice(0, eq);
  let what = spec.slice(eq + 1);
  let fsType: string | undefined;
  const colon = what.lastIndexOf(':');
  if (colon > 0 && FSTYPE.test(what.slice(colon + 1))) {
    fsType = what.slice(colon + 1);
    what = what.slice(0, colon);
  }
  const normal = normaliseAbsolute(rawStore);
  const store = normal.ok ? normal.path : undefined;
  if (store === undefined || store === '/')
    throw new UsageError(
      `--store-device ${JSON.stringify(spec)}: the store must be an absolute path below /`,
      USAGE,
    );
  if (!what.startsWith('/'))
    throw new UsageError(
      `--store-device ${JSON.stringify(spec)}: the device must be an absolute path`,
      'name it by a stable link, e.g. /dev/disk/by-label/NAME or /dev/disk/by-uuid/UUID',
    );
  // Both end up in persist.mount (Where=, What=): a value a unit file cannot hold as it is
  // (a newline would start a line of its own) is refused, never written.
  for (const [name, value] of [
    ['store', store],
    ['device', what],
  ] as const) {
    const problem = unitValueProblem(value);
    if (problem)
      throw new UsageError(
        `--store-device ${JSON.stringify(spec)}: the ${name} ${JSON.stringify(value)} cannot be written in a unit file: ${problem}`,
        USAGE,
      );
  }
  return { store, what, ...(fsType ? { fsType } : {}) };
}
