#!/usr/bin/env node
// The whole test suite, as the README and CI run it: build, lint, type-check, then the test
// tiers: unit and namespace tests, then real boots (nspawn and qemu). Under CI=true a skipped test is a failure: a tier that
// cannot run here must not pass quietly.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ci = process.env.CI === 'true';
// The tests leave this machine as they found it: keepsake run as root keeps its compiled code
// in /run/keepsake, outside any temporary directory, unless told not to.
process.env.KEEPSAKE_COMPILE_CACHE = '0';
const step = (name, cmd, args) => {
  console.log(`\n== ${name}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`test: ${name} failed`);
    process.exit(r.status ?? 1);
  }
};

step('build', 'npm', ['run', '--silent', 'build']);
step('native addon', process.execPath, ['scripts/build-addon.mjs', ...(ci ? ['--strict'] : [])]);
step('lint and format', 'npx', ['--no-install', 'biome', 'check', '.']);

const files = (dir) =>
  readdirSync(dir, { recursive: true })
    .filter((f) => String(f).endsWith('.test.js'))
    .map((f) => path.join(dir, String(f)))
    .sort();

// One node:test run; returns its exit status and the pass/fail/skip counts of its TAP report.
const runTests = (name, tests, concurrency) => {
  const tap = path.join(tmpdir(), `keepsake-tests-${process.pid}.tap`);
  console.log(`\n== ${name} (${tests.length} files)`);
  const r = spawnSync(
    process.execPath,
    [
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...tests,
    ],
    { stdio: 'inherit' },
  );
  const report = readFileSync(tap, 'utf8');
  rmSync(tap, { force: true });
  const count = (k) => Number(report.match(new RegExp(`^# ${k} (\\d+)$`, 'm'))?.[1] ?? 0);
  // node:test leaves suites skipped at describe level out of its "# skipped" total, so count
  // every SKIP directive (a test's or a suite's) in the report instead.
  const skipped = report.match(/^\s*ok \d+ - .*# SKIP\b/gm)?.length ?? 0;
  return {
    ok: r.status === 0,
    passed: count('pass'),
    failed: count('fail'),
    skipped: Math.max(skipped, count('skipped')),
  };
};

// Unit and namespace tests, then real boots (nspawn, qemu) one at a time: a booting VM under
// software emulation wants both cores, and its time-outs must not depend on other tests.
const only = process.env.KEEPSAKE_TESTS; // e.g. "boots" to run one tier while working on it
const tiers = [
  ['unit and namespace tests', [...files('dist/test/unit'), ...files('dist/test/integration')], 2],
  ['real boots', files('dist/test/boots'), 1],
].filter(([name]) => !only || name.includes(only));
const results = tiers.map(([name, tests, n]) => runTests(name, tests, n));
const sum = (k) => results.reduce((a, r) => a + r[k], 0);
const [passed, failed, skipped] = [sum('passed'), sum('failed'), sum('skipped')];
const allOk = results.every((r) => r.ok);
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (ci && skipped > 0) {
  console.error('test: CI=true and some tests were skipped; every tier must run in CI');
  process.exit(1);
}
if (passed === 0) {
  console.error('test: no test ran');
  process.exit(1);
}
process.exit(allOk && failed === 0 ? 0 : 1);
