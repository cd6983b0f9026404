// A machine that boots again and again over one persistent store: each boot gets a freshly
// staged /usr/local (keepsake unpacked from its Debian package, the mode's units, the test units and what the probes should
// do), a fresh results directory, and the same store directory bound at /persist.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackKeepsake } from '../stage.js';
import { type BootResult, boot } from './container.js';
import { CONFIG_IN_STORE } from './modes.js';
import type { ProbeReport, ProbeSteps } from './probe.js';
import {
  ACCOUNTS,
  accountsUnit,
  finalUnit,
  occupyUnit,
  PRESET,
  probeUnit,
  shutdownUnit,
  TEST_DIR,
} from './units.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface BootPlan {
  /** Puts keepsake's units (the mode under test) into the staged unit directory. */
  install(unitDir: string): void;
  /** What the probe does once local file systems are up. */
  up: ProbeSteps;
  /** What the shutdown probe does once keepsake's mounts should be gone. */
  down?: ProbeSteps;
  /** What the last probe does once the boot has finished (how it ended is always recorded). */
  final?: ProbeSteps;
  /** Files written onto the root before keepsake's units run: path → content. */
  occupy?: Record<string, string>;
  /** false: the store's directory is not mounted at /persist in this boot. */
  storeMounted?: boolean;
  /** Other units of the booted system: name → text, each wanted by local-fs.target. */
  systemUnits?: Record<string, string>;
  /** How long the boot may take to power-off before it is killed (container.ts's default). */
  timeoutMs?: number;
  /** Boot the package of the built keepsake tree at this path instead of this one's. */
  repo?: string;
}

export interface Booted extends BootResult {
  up: ProbeReport | undefined;
  down: ProbeReport | undefined;
  final: ProbeReport | undefined;
  /** Everything needed to understand a failed assertion. */
  describe(): string;
}

/** Node inside the container: this machine's /usr is the container's, or a staged copy. */
const nodeInside = process.execPath.startsWith('/usr/') ? process.execPath : '/usr/local/bin/node';

export class TestBed {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-nspawn-'));
  /**
   * The booted system as keepsake's commands on the host see it (`--root`): its accounts in
   * etc/, and the store at persist/.
   */
  readonly hostRoot = path.join(this.dir, 'root');
  /** The persistent store, as the host sees it (the container sees /persist). */
  readonly store = path.join(this.hostRoot, 'persist');
  private boots = 0;

  /**
   * A bed whose store holds `config` as keepsake's configuration. `problem` is why containers
   * cannot boot here: the suite is skipped for it outside CI, so reaching this means CI, where
   * it is a failure.
   */
  static withConfig(problem: string | null | undefined, config: string): TestBed {
    if (problem) throw new Error(`CI=true and booting a container is impossible here: ${problem}`);
    const bed = new TestBed();
    fs.writeFileSync(path.join(bed.store, CONFIG_IN_STORE), config);
    return bed;
  }

  constructor() {
    fs.mkdirSync(this.store, { recursive: true });
    fs.mkdirSync(path.join(this.hostRoot, 'etc'));
    fs.writeFileSync(path.join(this.hostRoot, 'etc/passwd'), ACCOUNTS.passwd);
    fs.writeFileSync(path.join(this.hostRoot, 'etc/group'), ACCOUNTS.group);
  }

  async boot(plan: BootPlan): Promise<Booted> {
    const n = ++this.boots;
    const results = path.join(this.dir, `results-${n}`);
    fs.mkdirSync(results);
    // keepsake as its Debian package installs it: the unpacked package's /usr is the
    // container's /usr/local, and the units name its launcher.
    const stage = unpackKeepsake(path.join(this.dir, `package-${n}`), {
      withNode: nodeInside === '/usr/local/bin/node',
      ...(plan.repo !== undefined ? { repo: plan.repo } : {}),
    });
    const unitDir = path.join(stage, 'lib/systemd/system');
    plan.install(unitDir);
    stageTestUnits(stage, unitDir, plan);
    const result = await boot({
      stage,
      store: this.store,
      results,
      ...(plan.storeMounted === false ? { storeMounted: false } : {}),
      ...(plan.timeoutMs !== undefined ? { timeoutMs: plan.timeoutMs } : {}),
    });
    const read = (name: string): ProbeReport | undefined => {
      const file = path.join(results, name);
      return fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ProbeReport)
        : undefined;
    };
    const up = read('up.json');
    const down = read('down.json');
    const final = read('final.json');
    return {
      ...result,
      up,
      down,
      final,
      describe: () =>
        [
          `boot ${n}: exit ${result.status}${result.signal ? ` (${result.signal})` : ''}${result.timedOut ? ', timed out and killed' : ''}, ${result.ms} ms`,
          `probe reports: up ${up ? 'written' : 'MISSING'}, final ${final ? 'written' : 'MISSING'}, down ${down ? 'written' : 'MISSING'} (${results})`,
          '--- console ---',
          result.console,
        ].join('\n'),
    };
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How every boot ended: the manager's state once started, and the units that failed. */
const ENDED: Record<string, string[]> = {
  state: ['systemctl', 'is-system-running', '--wait'],
  failed: ['systemctl', 'list-units', '--state=failed', '--plain', '--no-legend', '--full'],
};

function link(unitDir: string, target: string, unit: string): void {
  const wants = path.join(unitDir, `${target}.wants`);
  fs.mkdirSync(wants, { recursive: true });
  fs.symlinkSync(`../${unit}`, path.join(wants, unit));
}

function stageTestUnits(stage: string, unitDir: string, plan: BootPlan): void {
  const testDir = path.join(stage, TEST_DIR.replace('/usr/local/', ''));
  fs.mkdirSync(testDir, { recursive: true });
  fs.copyFileSync(path.join(here, 'probe.js'), path.join(testDir, 'probe.mjs'));
  fs.writeFileSync(path.join(testDir, 'up.json'), JSON.stringify(plan.up));
  fs.writeFileSync(path.join(testDir, 'down.json'), JSON.stringify(plan.down ?? {}));
  fs.writeFileSync(
    path.join(testDir, 'final.json'),
    JSON.stringify({ ...plan.final, run: { ...ENDED, ...plan.final?.run } }),
  );
  for (const [p, content] of Object.entries(plan.occupy ?? {})) {
    const at = path.join(testDir, 'occupy', p);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.writeFileSync(at, content);
  }
  fs.writeFileSync(path.join(testDir, 'passwd'), ACCOUNTS.passwd);
  fs.writeFileSync(path.join(testDir, 'group'), ACCOUNTS.group);

  const presets = path.join(stage, 'lib/systemd/system-preset');
  fs.mkdirSync(presets, { recursive: true });
  fs.writeFileSync(path.join(presets, '00-keepsake-test.preset'), PRESET);

  fs.mkdirSync(unitDir, { recursive: true });
  // keepsake's own mount units (compiled mode) must be gone before the shutdown probe looks.
  const mounts = fs.readdirSync(unitDir).filter((f) => f.endsWith('.mount'));
  const units: Record<string, string> = {
    'keepsake-test-accounts.service': accountsUnit(),
    'keepsake-test-probe.service': probeUnit(nodeInside),
    'keepsake-test-shutdown.service': shutdownUnit(nodeInside, mounts),
    'keepsake-test-final.service': finalUnit(nodeInside),
    ...(plan.occupy ? { 'keepsake-test-occupy.service': occupyUnit() } : {}),
  };
  for (const [name, text] of Object.entries(units))
    fs.writeFileSync(path.join(unitDir, name), text);
  link(unitDir, 'sysinit.target', 'keepsake-test-accounts.service');
  link(unitDir, 'sysinit.target', 'keepsake-test-shutdown.service');
  link(unitDir, 'sysinit.target', 'keepsake-test-probe.service');
  link(unitDir, 'sysinit.target', 'keepsake-test-final.service');
  if (plan.occupy) link(unitDir, 'sysinit.target', 'keepsake-test-occupy.service');
  for (const [name, text] of Object.entries(plan.systemUnits ?? {})) {
    fs.writeFileSync(path.join(unitDir, name), text);
    link(unitDir, 'local-fs.target', name);
  }
}
