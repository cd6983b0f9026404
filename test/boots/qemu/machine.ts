// A test machine over several boots: one root disk and one store disk, booted again and again
// over the same store, each boot probed (guest.ts) and checked to have reached power-off.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanlyUnmounted } from './disk.js';
import { type Probe, parseProbe } from './guest.js';
import type { DebianImage } from './image.js';
import { runVm, type VmRun } from './vm.js';

export interface Boot {
  run: VmRun;
  probe: Probe;
  /** The first value the probe printed for `key` ('' when none). */
  one(key: string): string;
  /** Every value the probe printed for `key`. */
  all(key: string): string[];
}

export interface MachineSpec {
  name: string;
  work: string;
  image: DebianImage;
  root: string;
  store: string;
  /** An initrd other than the image's (dracut's with units appended). */
  initrd?: string;
  timeoutSeconds?: number;
}

/** The end of a serial log, for a failure message. */
export function logTail(run: VmRun, lines = 150): string {
  const all = run.console.split('\n');
  return `--- ${run.consoleFile} (last ${Math.min(lines, all.length)} of ${all.length} lines)\n${all
    .slice(-lines)
    .join('\n')}\n--- probe\n${run.probe}`;
}

/** Runs `check`; a failure carries the boot's serial log. */
export function withLog<T>(boot: Boot, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message}\n${logTail(boot.run)}`;
    throw e;
  }
}

export class Machine {
  readonly boots: Boot[] = [];

  constructor(readonly spec: MachineSpec) {}

  /** Boots once; fails (with the serial log) unless the probe ran to its end and qemu exited. */
  async boot(extraAppend: string[] = []): Promise<Boot> {
    const { spec } = this;
    const run = await runVm({
      dir: spec.work,
      name: `${spec.name}-${this.boots.length + 1}`,
      kernel: spec.image.kernel,
      initrd: spec.initrd ?? spec.image.initrd,
      append: extraAppend,
      disks: [{ file: spec.root, readonly: true }, { file: spec.store }],
      timeoutSeconds: spec.timeoutSeconds ?? 240,
    });
    const probe = parseProbe(run.probe);
    const boot: Boot = {
      run,
      probe,
      one: (key) => probe.get(key)?.[0] ?? '',
      all: (key) => probe.get(key) ?? [],
    };
    const problem = run.timedOut
      ? `did not power off within ${spec.timeoutSeconds ?? 240} s`
      : run.exit !== 0
        ? `qemu ended with ${run.exit}`
        : probe.get('done') === undefined
          ? 'the probe did not run to its end'
          : null;
    process.stderr.write(
      `# qemu ${run.name}: ${run.seconds.toFixed(1)} s${problem ? ` (${problem})` : ''}\n`,
    );
    if (problem) {
      process.stderr.write(`${run.console}\n`);
      throw new Error(`boot ${run.name} ${problem}\n${logTail(run)}`);
    }
    this.boots.push(boot);
    return boot;
  }

  /** Whether the store's file system was left clean by the last shutdown. */
  storeClean(): { clean: boolean; state: string } {
    return cleanlyUnmounted(this.spec.store);
  }
}

/** Lines of a console log that report a unit failing to unmount at shutdown. */
export function unmountFailures(console: string): string[] {
  return console.split('\n').filter((l) => /Failed unmounting/.test(l));
}

/** Keeps a boot's logs next to the work directory's other files (they are there already). */
export function logFiles(work: string): string[] {
  return fs
    .readdirSync(work)
    .filter((f) => f.endsWith('.log'))
    .map((f) => path.join(work, f));
}
