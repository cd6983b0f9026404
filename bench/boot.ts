// What keepsake costs a boot, measured in real boots: systemd boots this machine's /usr in a
// container (the nspawn tier of the tests), with N declared directories, three ways, in the
// same run: no keepsake at all, service mode (keepsake.service runs `keepsake apply
// --keep-going`) and compiled mode (mount units, no Node at boot). Rounds alternate the modes
// so that a change in the machine's load falls on all three alike. Reported, medians:
//   - PID 1 → local-fs.target (the manager's start to local-fs.target's activation);
//   - keepsake.service's activation time as `systemd-analyze blame` shows it (service mode);
//   - the compiled units' span, from the first to start to the last to be active;
// and the same boots with a cold page cache for keepsake's files (see evictFiles).
//
//   npm run bench:boot -- [--sizes 50,1300] [--rounds 5] [--cold 2] [--json FILE] [--before DIR]
//                          [--modes none,service,compiled,service-before]

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nspawnProblem } from '../test/boots/nspawn/container.js';
import { CONFIG_IN_STORE, compiledMode, serviceMode } from '../test/boots/nspawn/modes.js';
import type { ProbeReport, ProbeSteps } from '../test/boots/nspawn/probe.js';
import { type Booted, TestBed } from '../test/boots/nspawn/testbed.js';

type ModeName = 'none' | 'service' | 'compiled' | 'service-before';
/** `--before DIR`: service mode with the package of the built tree at DIR, for comparison. */
const BEFORE = argValue('--before', '');
const MODES = argValue(
  '--modes',
  ['none', 'service', 'compiled', ...(BEFORE ? ['service-before'] : [])].join(','),
).split(',') as ModeName[];

interface Sample {
  size: number;
  /** Why this boot does not count (not every directory was in place). */
  failed?: string;
  mode: ModeName;
  cold: boolean;
  /** PID 1 → local-fs.target, ms. */
  localFs: number;
  /** keepsake.service's activation time by systemd-analyze blame, ms. */
  blame?: number;
  /** keepsake.service from start to active by its own timestamps, ms (what blame shows). */
  serviceSpan?: number;
  /** What systemd-analyze blame said when it gave no time for keepsake.service. */
  blameError?: string;
  /** First compiled unit started → last compiled unit active, ms. */
  unitsSpan?: number;
  /** Bind mounts of the declared directories at local-fs.target. */
  mounts: number;
  /** Resident pages of keepsake's files (and of the Node binary) before and after eviction. */
  evicted?: { before: number; after: number; nodeBefore: number; nodeAfter: number };
}

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const configFor = (n: number) =>
  [
    'persistence:',
    '  /persist:',
    '    directories:',
    ...Array.from({ length: n }, (_, i) => `      - /var/lib/bench/d${String(i).padStart(4, '0')}`),
    '',
  ].join('\n');

/** Every regular file under `dir`. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** Pages of `files` in the page cache, by fincore. */
function residentPages(files: string[]): number {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'PAGES', ...files], {
    encoding: 'utf8',
  });
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .reduce((sum, l) => sum + Number(l.trim()), 0);
}

/**
 * Drops exactly these files' pages from the page cache. `drop_caches` would do it for the
 * whole machine (it is not namespaced: every other process would pay, and the measurement
 * would depend on what they do); posix_fadvise(DONTNEED) through dd drops only these files,
 * after writing back what is dirty (files just unpacked are). Pages mapped by a running
 * process (the Node binary, while any Node runs) stay: the count after says how many.
 */
function evictFiles(files: string[]): { before: number; after: number } {
  const before = residentPages(files);
  for (const f of files) {
    const writable = !f.startsWith('/usr/');
    const args = writable
      ? [`of=${f}`, 'oflag=nocache', 'conv=notrunc,fdatasync', 'count=0', 'status=none']
      : [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none'];
    spawnSync('dd', args);
  }
  return { before, after: residentPages(files) };
}

const SPAN_PROPERTIES = [
  '-p',
  'Id',
  '-p',
  'InactiveExitTimestampMonotonic',
  '-p',
  'ActiveEnterTimestampMonotonic',
];

const num = (report: ProbeReport | undefined, name: string): number =>
  Number(report?.runs[name]?.stdout.trim() ?? Number.NaN);

/**
 * `systemctl show` blocks of `-p Id -p …Monotonic` → the span from first start to last active,
 * in this boot: a timestamp before the manager's start (`since`, µs) is not of this boot.
 */
function unitsSpan(text: string, since: number): number {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const block of text.split('\n\n')) {
    const p = Object.fromEntries(
      block
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), Number(l.slice(l.indexOf('=') + 1))]),
    );
    const start = p.InactiveExitTimestampMonotonic ?? 0;
    const active = p.ActiveEnterTimestampMonotonic ?? 0;
    if (start >= since) first = Math.min(first, start);
    if (active >= since) last = Math.max(last, active);
  }
  return last > 0 && first !== Number.POSITIVE_INFINITY ? (last - first) / 1000 : Number.NaN;
}

function blameMs(text: string): number {
  const line = text.split('\n').find((l) => / keepsake\.service$/.test(l.trim()));
  if (!line) return Number.NaN;
  // "123ms keepsake.service", "1.234s keepsake.service", "1min 2.3s ..."
  let ms = 0;
  for (const [, v, unit] of line.trim().matchAll(/(\d+(?:\.\d+)?)(min|ms|s|us|µs)\b/g)) {
    const x = Number(v);
    ms += unit === 'min' ? x * 60_000 : unit === 's' ? x * 1000 : unit === 'ms' ? x : x / 1000;
  }
  return ms;
}

async function bootOnce(
  bed: TestBed,
  size: number,
  mode: ModeName,
  cold: boolean,
): Promise<Sample> {
  let evicted: Sample['evicted'];
  const final: ProbeSteps = { run: { blame: ['systemd-analyze', 'blame', '--no-pager'] } };
  const booted: Booted = await bed.boot({
    install(unitDir) {
      if (mode === 'service' || mode === 'service-before') serviceMode.install(bed, unitDir);
      if (mode === 'compiled') {
        compiledMode.install(bed, unitDir);
        const units = fs
          .readdirSync(unitDir)
          .filter((f) => f.endsWith('.mount') || f === 'keepsake-prepare.service');
        // Read by the last probe, staged after this: the units are known only now.
        final.run = { ...final.run, units: ['systemctl', 'show', ...SPAN_PROPERTIES, ...units] };
      }
      if (cold) {
        // The staged /usr/local: keepsake's launcher and bundle, as the package lays them out.
        const stage = path.resolve(unitDir, '../../..');
        const files = [
          ...filesUnder(path.join(stage, 'bin')),
          ...filesUnder(path.join(stage, 'lib/keepsake')),
          path.join(bed.store, CONFIG_IN_STORE),
        ];
        const node = evictFiles([fs.realpathSync(process.execPath)]);
        const own = evictFiles(files);
        evicted = { ...own, nodeBefore: node.before, nodeAfter: node.after };
      }
    },
    up: {
      run: {
        userspace: ['systemctl', 'show', '-P', 'UserspaceTimestampMonotonic'],
        localFs: ['systemctl', 'show', '-P', 'ActiveEnterTimestampMonotonic', 'local-fs.target'],
        ...(mode === 'service' || mode === 'service-before'
          ? { service: ['systemctl', 'show', ...SPAN_PROPERTIES, 'keepsake.service'] }
          : {}),
      },
    },
    final,
    // Thousands of mount units on a busy machine take longer than a test boot may.
    timeoutMs: 600_000,
    ...(mode === 'service-before' ? { repo: path.resolve(BEFORE) } : {}),
  });
  if (booted.status !== 0 || !booted.up) throw new Error(`boot failed:\n${booted.describe()}`);
  const report = booted.up;
  const sample: Sample = {
    size,
    mode,
    cold,
    localFs: (num(report, 'localFs') - num(report, 'userspace')) / 1000,
    mounts: report.mounts.filter((m) => m.target.startsWith('/var/lib/bench/')).length,
    ...(evicted ? { evicted } : {}),
  };
  if (mode === 'service' || mode === 'service-before') {
    const blame = booted.final?.runs.blame;
    sample.blame = blameMs(blame?.stdout ?? '');
    if (Number.isNaN(sample.blame))
      sample.blameError = `${blame?.status} ${blame?.stderr ?? ''}${blame?.stdout.slice(0, 300) ?? ''}`;
    sample.serviceSpan = unitsSpan(report.runs.service?.stdout ?? '', num(report, 'userspace'));
  }
  if (mode === 'compiled')
    sample.unitsSpan = unitsSpan(booted.final?.runs.units?.stdout ?? '', num(report, 'userspace'));
  // A boot that did not put everything in place is counted as failed, not timed: the run
  // goes on, and says so.
  if (mode !== 'none' && sample.mounts !== size) {
    const failed = booted.console
      .split('\n')
      .filter((l) => /^systemd\[1\]: .*(Failed|failed)/.test(l))
      .slice(0, 3);
    sample.failed = `${sample.mounts} of ${size} directories mounted: ${failed.join(' / ')}`;
  }
  return sample;
}

const median = (xs: number[]): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const problem = nspawnProblem();
  if (problem) throw new Error(`cannot boot here: ${problem}`);
  const sizes = argValue('--sizes', '50,1300').split(',').map(Number);
  const rounds = Number(argValue('--rounds', '5'));
  const coldRounds = Number(argValue('--cold', '2'));
  const samples: Sample[] = [];
  for (const size of sizes) {
    const bed = new TestBed();
    try {
      fs.writeFileSync(path.join(bed.store, CONFIG_IN_STORE), configFor(size));
      // A first boot of each mode makes the store's directories and keeps the model: not
      // counted, as no later boot pays for it.
      for (const mode of MODES) await bootOnce(bed, size, mode, false);
      for (let r = 0; r < rounds + coldRounds; r++)
        for (const mode of MODES) {
          const s = await bootOnce(bed, size, mode, r >= rounds);
          samples.push(s);
          process.stderr.write(
            `${size} ${mode}${s.cold ? ' cold' : ''}: ${s.localFs.toFixed(0)} ms${s.blame !== undefined ? `, service ${s.blame.toFixed(0)} ms` : ''}${s.unitsSpan !== undefined ? `, units ${s.unitsSpan.toFixed(0)} ms` : ''}${s.failed ? ` (FAILED: ${s.failed})` : ''}\n`,
          );
        }
    } finally {
      bed.cleanup();
    }
  }
  report(samples, sizes);
  const out = argValue('--json', '');
  if (out) fs.writeFileSync(out, `${JSON.stringify(samples, null, 1)}\n`);
}

function report(samples: Sample[], sizes: number[]): void {
  const pick = (size: number, mode: ModeName, cold: boolean) =>
    samples.filter((s) => s.size === size && s.mode === mode && s.cold === cold && !s.failed);
  const fmt = (x: number) => (Number.isNaN(x) ? '-' : `${Math.round(x)}`);
  const lines = [
    `Boot cost, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)}`,
    '',
    '| entries | mode | PID 1 → local-fs.target (ms) | cold cache (ms) | keepsake.service (blame, ms) | keepsake.service (start → active, ms) | compiled units (first start → last active, ms) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const size of sizes) {
    for (const mode of MODES) {
      const warm = pick(size, mode, false);
      const cold = pick(size, mode, true);
      lines.push(
        `| ${size} | ${mode} | ${fmt(median(warm.map((s) => s.localFs)))} | ${fmt(median(cold.map((s) => s.localFs)))} | ${mode.startsWith('service') ? fmt(median(warm.map((s) => s.blame ?? Number.NaN))) : ''} | ${mode.startsWith('service') ? fmt(median(warm.map((s) => s.serviceSpan ?? Number.NaN))) : ''} | ${mode === 'compiled' ? fmt(median(warm.map((s) => s.unitsSpan ?? Number.NaN))) : ''} |`,
      );
    }
    const ratio =
      median(pick(size, 'service', false).map((s) => s.localFs)) /
      median(pick(size, 'compiled', false).map((s) => s.localFs));
    // Only when both modes were booted (--modes may leave one out).
    if (Number.isFinite(ratio)) {
      lines.push(`| ${size} | service / compiled | ${ratio.toFixed(2)}x | | | | |`);
    }
  }
  for (const s of samples.filter((x) => x.failed))
    lines.push(
      '',
      `Not counted: a ${s.size}-entry ${s.mode} boot${s.cold ? ' (cold)' : ''}: ${s.failed}`,
    );
  const errors = samples.filter((s) => s.blameError).map((s) => s.blameError);
  if (errors.length > 0) lines.push('', `systemd-analyze blame gave no time: ${errors[0]}`);
  const ev = samples.filter((s) => s.evicted);
  if (ev.length > 0)
    lines.push(
      '',
      `Cold boots (medians): keepsake's files (launcher, bundle, addon, configuration) held ${median(ev.map((s) => s.evicted?.before ?? 0))} pages of the page cache before eviction, ${median(ev.map((s) => s.evicted?.after ?? 0))} after; the Node binary ${median(ev.map((s) => s.evicted?.nodeBefore ?? 0))} before, ${median(ev.map((s) => s.evicted?.nodeAfter ?? 0))} after (pages mapped by running Node processes stay).`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
