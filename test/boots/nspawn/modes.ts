// How keepsake is put into a booted system: service mode (install-service) and compiled mode
// (compile --systemd), as an administrator would install each; and what every probe records.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../stage.js';
import type { ProbeSteps } from './probe.js';
import type { TestBed } from './testbed.js';

const CLI = path.join(REPO, 'bin/keepsake.js');
export const KEEPSAKE = '/usr/local/bin/keepsake';
/** The configuration lives in the store: a volatile root has an empty /etc at every boot. */
export const CONFIG_IN_STORE = 'keepsake.yaml';
export const CONFIG = `/persist/${CONFIG_IN_STORE}`;

/** How keepsake is put into the booted system. */
export interface Mode {
  name: string;
  /** The unit whose success means keepsake's work at boot is done. */
  unit: string;
  /** keepsake itself runs at boot, so it records generations. */
  records: boolean;
  /** Units for a configuration (already written to the store as keepsake.yaml). */
  install(bed: TestBed, unitDir: string): void;
}

export function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  assert.equal(
    r.status,
    0,
    `keepsake ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}${r.error ?? ''}`,
  );
  return r.stdout;
}

export const serviceMode: Mode = {
  name: 'service mode (install-service: keepsake apply at boot, release at shutdown)',
  unit: 'keepsake.service',
  records: true,
  install(bed, unitDir) {
    cli([
      'install-service',
      '--root',
      bed.hostRoot,
      '--config',
      path.join(bed.store, CONFIG_IN_STORE),
      '--unit-dir',
      unitDir,
      '--bin',
      KEEPSAKE,
    ]);
  },
};

export const compiledMode: Mode = {
  name: 'compiled mode (compile --systemd: mount units and tmpfiles, no keepsake at boot)',
  unit: 'keepsake.target',
  records: false,
  install(bed, unitDir) {
    const out = path.join(bed.dir, `compiled-${Date.now()}`);
    cli([
      'compile',
      '--systemd',
      out,
      '--config',
      path.join(bed.store, CONFIG_IN_STORE),
      '--root',
      bed.hostRoot,
    ]);
    // As the printed instructions say: the units only. The tmpfiles.d copy of the prepare
    // rules is for reading; installed, systemd-tmpfiles-setup would apply it unchecked.
    fs.cpSync(path.join(out, 'system'), unitDir, { recursive: true, verbatimSymlinks: true });
  },
};

/** What every probe records about keepsake's unit and the order of the boot. */
export const unitRuns = (mode: Mode): Record<string, string[]> => ({
  active: ['systemctl', 'is-active', mode.unit],
  unitEntered: ['systemctl', 'show', '-P', 'ActiveEnterTimestampMonotonic', mode.unit],
  localFsEntered: ['systemctl', 'show', '-P', 'ActiveEnterTimestampMonotonic', 'local-fs.target'],
  localFs: ['systemctl', 'is-active', 'local-fs.target'],
  status: [KEEPSAKE, 'status', '--config', CONFIG],
  // systemd drops a job to break an ordering cycle: the whole cycle, for the message.
  cycles: ['journalctl', '-b', '--no-pager', '-o', 'cat', '-g', 'ordering cycle|Found dependency'],
  journal: ['journalctl', '--no-pager', '-o', 'cat', '-u', mode.unit],
});

export const downSteps = (mode: Mode): ProbeSteps => ({
  run: {
    stop: ['systemctl', 'show', '-p', 'Result', '-p', 'ExecStop', mode.unit],
    journal: ['journalctl', '--no-pager', '-o', 'cat', '-u', mode.unit],
    // Problems systemd reported while shutting down so far, for the message.
    problems: ['journalctl', '-b', '--no-pager', '-p', 'warning', '-o', 'short-monotonic'],
  },
});
