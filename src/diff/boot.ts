// When this system booted, for the changed-since-boot marks: `btime` in /proc/stat.

import { existsSync, readFileSync } from 'node:fs';
import { hostPath } from '../core/paths.js';

/** Boot time in ms since the epoch; 0 (every entry counts as changed) when unknown. */
export function readBootTimeMs(stat = '/proc/stat'): number {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync(stat, 'utf8'));
    return m ? Number(m[1]) * 1000 : 0;
  } catch {
    return 0;
  }
}

/** The boot time of the system at `root`: its own /proc/stat when it has one (a test
 *  system names its boots so), else this machine's. */
export function bootTimeUnder(root: string): number {
  const own = hostPath(root, '/proc/stat');
  return root !== '/' && existsSync(own) ? readBootTimeMs(own) : readBootTimeMs();
}
