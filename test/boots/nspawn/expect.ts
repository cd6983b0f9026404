// Assertions about a booted system, from the probes' reports and the store as the host sees
// it. Every failure carries the boot's console log.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../stage.js';
import type { MountRecord, ProbeReport } from './probe.js';
import type { Booted } from './testbed.js';

/** The boot powered itself off in time, and the probe left its report. */
export function bootedAndProbed(b: Booted): ProbeReport {
  assert.ok(!b.timedOut, `the boot hung and was killed\n${b.describe()}`);
  assert.equal(b.status, 0, `the container did not power off cleanly\n${b.describe()}`);
  assert.ok(b.up, `the probe left no report\n${b.describe()}`);
  return b.up;
}

/** The mount visible at `target` (the last one mounted there). */
export function mountAt(report: ProbeReport, target: string): MountRecord | undefined {
  return report.mounts.filter((m) => m.target === target).at(-1);
}

/** Where /persist's data lives inside its file system, to tell binds from the store apart. */
function storeRoot(b: Booted, report: ProbeReport): string {
  const persist = mountAt(report, '/persist');
  assert.ok(persist, `/persist is not mounted in the container\n${b.describe()}`);
  return persist.root;
}

/** `target` is a bind mount of `<store>/<storePath>`. */
export function assertBound(b: Booted, report: ProbeReport, target: string, storePath: string) {
  const m = mountAt(report, target);
  const want = path.posix.join(storeRoot(b, report), storePath);
  assert.ok(m, `${target} is not a mount point when the probe runs\n${b.describe()}`);
  assert.equal(m.root, want, `${target} is mounted from ${m.root}, not ${want}\n${b.describe()}`);
}

/** `target` is not a mount point. */
export function assertNotMounted(b: Booted, report: ProbeReport, target: string) {
  const m = mountAt(report, target);
  assert.equal(m, undefined, `${target} is still mounted (from ${m?.root})\n${b.describe()}`);
}

/** A persisted file: bound from the store, or (before the store has it) a link into it. */
export function assertFilePlaced(
  b: Booted,
  report: ProbeReport,
  target: string,
  storePath: string,
) {
  const seen = report.paths[target];
  if (seen?.type === 'symlink')
    assert.equal(seen.link, path.posix.join('/persist', storePath), b.describe());
  else assertBound(b, report, target, storePath);
}

export function assertContent(b: Booted, report: ProbeReport, target: string, content: string) {
  const seen = report.paths[target];
  assert.equal(
    seen?.type,
    'file',
    `${target} is ${seen?.type ?? 'not inspected'}\n${b.describe()}`,
  );
  assert.equal(seen.content, content, `${target} holds other data\n${b.describe()}`);
}

export function assertMissing(b: Booted, report: ProbeReport, target: string) {
  const seen = report.paths[target];
  assert.equal(
    seen?.type,
    'missing',
    `${target} survived the reboot: ${JSON.stringify(seen)}\n${b.describe()}`,
  );
}

export function assertWritesDone(b: Booted, report: ProbeReport) {
  const failed = Object.entries(report.writes).filter(([, e]) => e !== null);
  assert.deepEqual(failed, [], `writes failed in the booted system\n${b.describe()}`);
}

/**
 * Lines of the console (the journal is forwarded to it) that report a failure to unmount:
 * systemd's, the kernel's, or umount(8)'s for a mount already gone (exit status 32). Not those
 * about a service's credentials directory under /run/credentials: systemd 252 in a container
 * unmounts it itself when the service stops, and its mount unit then finds it gone, with or
 * without keepsake. Nor, unless keepsake binds /etc/machine-id in that boot (`machineId`),
 * those about systemd's own transient id there: systemd-machine-id-commit unmounts it when it
 * commits the id, and in a container its mount unit may then find it gone at shutdown, with
 * or without keepsake.
 */
export const unmountFailures = (console: string, opts: { machineId?: boolean } = {}): string[] =>
  console
    .split('\n')
    .filter((l) => !/run-credentials-|\/run\/credentials\//.test(l))
    .filter((l) => opts.machineId === true || !/etc-machine\\x2did|\/etc\/machine-id/.test(l))
    .filter((l) =>
      /Failed unmounting|Failed to unmount|umount: .*not mounted|Unmount process exited.*status=32|Mount process exited.*status=32/i.test(
        l,
      ),
    );

/** The units `systemctl --failed` lists once the boot has finished. */
export function failedUnits(b: Booted): string[] {
  const ended = b.final;
  assert.ok(ended, `the last probe left no report: the boot did not finish\n${b.describe()}`);
  return (ended.runs.failed?.stdout ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((u) => u !== '')
    .sort();
}

/**
 * The boot finished `running`, with no failed unit; or, when a test provokes failures,
 * `degraded` with exactly those units failed.
 */
export function assertBootEnded(b: Booted, provoked: readonly string[] = []) {
  const failed = failedUnits(b);
  const state = b.final?.runs.state?.stdout.trim();
  const journal = b.final?.runs.failedJournal?.stdout ?? '';
  assert.deepEqual(
    failed,
    [...provoked].sort(),
    `failed units once the boot finished: ${failed.join(', ') || 'none'} (state ${state})\n${journal}\n${b.describe()}`,
  );
  assert.equal(
    state,
    provoked.length === 0 ? 'running' : 'degraded',
    `the boot ended ${state}\n${b.describe()}`,
  );
}

/**
 * The store's data files as the host sees them (relative path → content), leaving out
 * keepsake's own records and the configuration kept there for the booted system.
 */
export function storeFiles(store: string, ignore: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(store, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, d.name);
      if (ignore.includes(r)) continue;
      if (d.isDirectory()) walk(r);
      else if (d.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(store, r))}`;
      else out[r] = fs.readFileSync(path.join(store, r), 'utf8');
    }
  };
  walk('');
  return out;
}

/** What the probe looks at to tell that keepsake in the booted system is its Debian package. */
export const PACKAGE_PATHS = [
  '/usr/local/bin/keepsake',
  '/usr/local/share/keepsake/keepsake.schema.json',
  '/usr/local/share/man/man8',
];

/**
 * keepsake in the booted system is the one its Debian package installs: the package's own
 * launcher (not one written for the test), the files only the package carries, and it runs.
 */
export function assertFromPackage(b: Booted, report: ProbeReport, launcher: string) {
  const shipped = fs.readFileSync(path.join(REPO, 'packaging/keepsake'), 'utf8');
  assert.equal(
    report.paths['/usr/local/bin/keepsake']?.content,
    shipped,
    `/usr/local/bin/keepsake is not the package's launcher\n${b.describe()}`,
  );
  assert.equal(
    report.paths['/usr/local/share/keepsake/keepsake.schema.json']?.type,
    'file',
    `the package's schema is not installed\n${b.describe()}`,
  );
  assert.deepEqual(
    report.paths['/usr/local/share/man/man8']?.names,
    ['keepsake.8.gz'],
    `the package's manual page is not installed\n${b.describe()}`,
  );
  const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    version: string;
  };
  const ran = report.runs.version;
  assert.equal(ran?.status, 0, `${launcher} --version failed: ${ran?.stderr}\n${b.describe()}`);
  assert.match(ran?.stdout ?? '', new RegExp(version.replaceAll('.', '\\.')), b.describe());
}
