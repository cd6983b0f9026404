// Boots this machine's own /usr as a container with systemd-nspawn: a fresh tmpfs root
// (`--volatile=yes`, so /etc, /var, /home and /root are empty at every boot), the store bound
// at /persist, and a staged tree (keepsake's unpacked Debian package, test units) bound
// read-only at /usr/local.
// nspawn runs inside its own private mount namespace with a private /run, so nothing it
// mounts or writes reaches this machine's namespace or its /run.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { packageProblem } from '../stage.js';

export interface BootRequest {
  /** Host directory seen as /usr/local (read-only). */
  stage: string;
  /** Host directory seen as /persist. */
  store: string;
  /** false: nothing is mounted at /persist (a store whose file system did not come up). */
  storeMounted?: boolean;
  /** Host directory seen as /results, where the probes leave their reports. */
  results: string;
  timeoutMs?: number;
}

export interface BootResult {
  /** nspawn's exit status: the container's, when it powered itself off. */
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  ms: number;
  /** The container's console (systemd's status lines, units' console output), colours removed. */
  console: string;
}

/** Mount a private /run, then nspawn; `exec` keeps the process tree short. */
const SCRIPT = 'mount -n -t tmpfs -o mode=0755 tmpfs /run && exec systemd-nspawn "$@"';

export function nspawnArgs(req: BootRequest): string[] {
  return [
    '-D',
    '/',
    '-b',
    '--register=no',
    '--keep-unit',
    '--private-network',
    '--console=read-only',
    '--volatile=yes',
    ...(req.storeMounted === false ? [] : [`--bind=${req.store}:/persist`]),
    `--bind=${req.results}:/results`,
    `--bind-ro=${req.stage}:/usr/local`,
    // Arguments after the options go to the container's systemd; without this the first-boot
    // wizard would prompt on an empty /etc and wait forever.
    'systemd.firstboot=off',
    // The whole journal on the console, so that the host sees the shutdown's messages too
    // (the container's journal is gone with it).
    'systemd.journald.forward_to_console=1',
  ];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what is removed
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Every process below `pid` (the container's PID 1 included), read from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * One boot, to power-off. A boot that does not end within the timeout is killed with its whole
 * process tree (the container's PID 1 with it, which ends its PID namespace), so a hang fails
 * the test instead of stalling the run.
 */
export function boot(req: BootRequest): Promise<BootResult> {
  const started = Date.now();
  const child = spawn(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', SCRIPT, 'nspawn', ...nspawnArgs(req)],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => chunks.push(c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    const pid = child.pid ?? 0;
    for (const p of [...descendants(pid).reverse(), pid]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, req.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        status,
        signal,
        timedOut,
        ms: Date.now() - started,
        console: Buffer.concat(chunks).toString('utf8').replace(ANSI, '').replace(/\r/g, ''),
      });
    });
  });
}

let problem: string | null | undefined;

/** Why a container cannot be booted here, or null when it can. */
export function nspawnProblem(): string | null {
  if (problem !== undefined) return problem;
  const probe = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
  const nspawn = probe('systemd-nspawn', ['--version']);
  const ns = probe('unshare', ['-m', '--propagation', 'private', 'true']);
  if (nspawn.error || nspawn.status !== 0)
    problem = `systemd-nspawn is not available (install systemd-container): ${nspawn.error?.message ?? nspawn.stderr.trim()}`;
  else if (process.getuid?.() !== 0) problem = 'booting a container needs root';
  else if (ns.error || ns.status !== 0)
    problem = `cannot create a mount namespace (unshare -m): ${ns.error?.message ?? ns.stderr.trim()}`;
  else if (!fs.existsSync('/usr/lib/systemd/systemd'))
    problem = 'no systemd in /usr/lib/systemd to boot this machine’s /usr with';
  // The booted system runs keepsake from its Debian package, built here.
  else problem = packageProblem();
  return problem;
}
