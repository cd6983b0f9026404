// When this system booted, for the changed-since-boot marks: `btime` in /proc/stat.

import { readFileSync } from 'node:fs';

/** Boot time in ms since the epoch; 0 (every entry counts as changed) when unknown. */
export function readBootTimeMs(stat = '/proc/stat'): number {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync(stat, 'utf8'));
    return m ? Number(m[1]) * 1000 : 0;
  } catch {
    return 0;
  }
}
