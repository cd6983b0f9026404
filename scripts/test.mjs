#!/usr/bin/env node
// The whole test suite, as the README and CI run it: build, lint, type-check, then every
// test tier in one node:test run. Under CI=true a skipped test is a failure: a tier that
// cannot run here must not pass quietly.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ci = process.env.CI === 'true';
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
const tests = [...files('dist/test/unit'), ...files('dist/test/integration')];
const tap = path.join(tmpdir(), `keepsake-tests-${process.pid}.tap`);
console.log(`\n== tests (${tests.length} files)`);
const r = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
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
const [passed, failed, skipped] = [count('pass'), count('fail'), count('skipped')];
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (ci && skipped > 0) {
  console.error('test: CI=true and some tests were skipped; every tier must run in CI');
  process.exit(1);
}
if (passed === 0) {
  console.error('test: no test ran');
  process.exit(1);
}
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
