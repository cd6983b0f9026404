// One boot of a qemu machine, from power-on to power-off, with a hard time limit. The console
// (ttyS0: kernel, initrd and systemd messages) and the probe's channel (ttyS1) go to files.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Disk {
  file: string;
  readonly?: boolean;
}

export interface VmSpec {
  /** Where the serial logs go; `<name>.console.log` and `<name>.probe.log`. */
  dir: string;
  name: string;
  kernel: string;
  initrd: string;
  /** Kernel command line after the common part (root, volatile root, consoles). */
  append?: string[];
  /** Virtio disks in order: /dev/vda, /dev/vdb, ... */
  disks: Disk[];
  timeoutSeconds: number;
}

export interface VmRun {
  name: string;
  console: string;
  probe: string;
  consoleFile: string;
  seconds: number;
  /** qemu's exit (0 after a power-off), or the signal that ended it. */
  exit: number | NodeJS.Signals | null;
  timedOut: boolean;
}

export const COMMON_APPEND = [
  'root=/dev/vda',
  'ro',
  'systemd.volatile=yes',
  'console=ttyS0',
  // An empty /etc looks like a first boot: no questions, and no login prompt on the consoles.
  'systemd.firstboot=off',
  'systemd.getty_auto=0',
  'panic=-1',
];

let chosenAccel: string[] | undefined;

/**
 * Hardware virtualisation when it really works here, software emulation otherwise. An openable
 * /dev/kvm is not enough: nested KVM on some hosts aborts qemu at the first virtual CPU reset
 * ("failed to set MSR"). So a firmware-only machine is started with KVM: still running after
 * two seconds means KVM works. `KEEPSAKE_QEMU_ACCEL=kvm|tcg` decides instead.
 */
function accel(): string[] {
  if (chosenAccel) return chosenAccel;
  const kvm = ['-accel', 'kvm', '-cpu', 'host'];
  const tcg = ['-accel', 'tcg'];
  const forced = process.env.KEEPSAKE_QEMU_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') chosenAccel = forced === 'kvm' ? kvm : tcg;
  else {
    let usable = false;
    try {
      fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
      const r = spawnSync(
        'qemu-system-x86_64',
        ['-nodefaults', '-machine', 'q35', ...kvm, '-m', '64', '-display', 'none'],
        { timeout: 2000, stdio: 'ignore' },
      );
      usable = r.signal === 'SIGTERM'; // killed by the time limit: it ran
    } catch {
      // no /dev/kvm
    }
    chosenAccel = usable ? kvm : tcg;
  }
  return chosenAccel;
}

export function qemuArgs(spec: VmSpec): string[] {
  const consoleFile = path.join(spec.dir, `${spec.name}.console.log`);
  const probeFile = path.join(spec.dir, `${spec.name}.probe.log`);
  return [
    '-nodefaults',
    '-machine',
    'q35',
    ...accel(),
    '-m',
    '1024',
    '-smp',
    '2',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    spec.kernel,
    '-initrd',
    spec.initrd,
    '-append',
    [...COMMON_APPEND, ...(spec.append ?? [])].join(' '),
    ...spec.disks.flatMap((d) => [
      '-drive',
      `file=${d.file},if=virtio,format=raw${d.readonly ? ',readonly=on' : ''}`,
    ]),
    '-serial',
    `file:${consoleFile}`,
    '-serial',
    `file:${probeFile}`,
    '-monitor',
    'none',
  ];
}

/** Boots the machine and waits for it to power off, or kills it at the time limit. */
export function runVm(spec: VmSpec): Promise<VmRun> {
  const consoleFile = path.join(spec.dir, `${spec.name}.console.log`);
  const probeFile = path.join(spec.dir, `${spec.name}.probe.log`);
  const started = Date.now();
  const child = spawn('qemu-system-x86_64', qemuArgs(spec), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, spec.timeoutSeconds * 1000);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
      resolve({
        name: spec.name,
        console: read(consoleFile) + (stderr ? `\n[qemu stderr]\n${stderr}` : ''),
        probe: read(probeFile),
        consoleFile,
        seconds: (Date.now() - started) / 1000,
        exit: code ?? signal,
        timedOut,
      });
    });
  });
}

/** Why qemu boots cannot run here, or null. */
export function vmProblem(): string | null {
  const missing = ['qemu-system-x86_64', 'mmdebstrap', 'mke2fs', 'debugfs', 'dumpe2fs', 'unshare']
    .filter((cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0)
    .join(', ');
  if (missing) {
    return `missing ${missing} (Debian packages: qemu-system-x86 mmdebstrap e2fsprogs util-linux)`;
  }
  if (process.getuid?.() !== 0)
    return 'building the Debian image needs root (mmdebstrap --mode=root)';
  return null;
}
