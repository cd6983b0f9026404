// Which paths running processes hold open: their open files, working directories and roots,
// read from /proc (readlink only). A process writing into store data refers to it as surely as
// an entry does, so prune leaves what a process holds open.

import * as fs from 'node:fs';
import { isWithin } from '../core/paths.js';
import type { Opener } from './types.js';

const DELETED = ' (deleted)';

function readlinkQuiet(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined; // the process ended, or the link is not ours to read
  }
}

function commandOf(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * Every path some process (this one aside) has open under `hostPrefixes` (host paths), as
 * system paths under `root`. A process of another mount namespace names paths as it sees
 * them; a name that happens to match is taken as in use too, which only keeps more.
 */
export function openersUnder(root: string, hostPrefixes: readonly string[]): Opener[] {
  if (hostPrefixes.length === 0) return [];
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const self = String(process.pid);
  const out: Opener[] = [];
  for (const pid of pids) {
    if (pid === self) continue;
    const links = [`/proc/${pid}/cwd`, `/proc/${pid}/root`];
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) links.push(`/proc/${pid}/fd/${fd}`);
    } catch {
      // ended, or not readable: its working directory and root may still be
    }
    for (const link of links) {
      let target = readlinkQuiet(link);
      if (target === undefined || !target.startsWith('/')) continue; // pipes, sockets
      if (target.endsWith(DELETED)) target = target.slice(0, -DELETED.length);
      if (!hostPrefixes.some((p) => isWithin(target, p))) continue;
      const path = root === '/' ? target : target === root ? '/' : target.slice(root.length);
      out.push({ path, pid: Number(pid), command: commandOf(pid) });
    }
  }
  return out;
}
