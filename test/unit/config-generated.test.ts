// Hundreds of generated bad configurations, each run through `keepsake check` and `keepsake
// plan`: every one ends with exit 2 within 2 s, names the file and a line, prints no stack
// trace, and changes nothing in the root, its store or the mount table.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { RunResult } from '../helpers/bad-config-child.js';
import { badConfigs } from '../helpers/bad-configs.js';
import { REPO } from '../helpers/boot.js';
import { writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-generated-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'root');
writeAccounts(root, ['jane'], ['wheel']);
for (const d of ['persist/var/a', 'p2', 'var/a', 'etc', 'home/jane']) {
  mkdirSync(join(root, d), { recursive: true });
}
writeFileSync(join(root, 'etc/a'), 'a\n');

const cases = badConfigs();
const files = cases.map((c, i) => {
  const file = join(tmp, `case-${String(i).padStart(3, '0')}.${c.ext}`);
  writeFileSync(file, c.text);
  return file;
});

const input = join(tmp, 'input.json');
const output = join(tmp, 'results.json');
writeFileSync(input, JSON.stringify({ root, files }));
const started = performance.now();
const run = spawnSync(
  process.execPath,
  [join(REPO, 'dist/test/helpers/bad-config-child.js'), input, output],
  { encoding: 'utf8', timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
);
const totalMs = performance.now() - started;
const results = new Map<string, RunResult[]>();
if (run.status === 0) {
  for (const r of JSON.parse(readFileSync(output, 'utf8')) as RunResult[]) {
    results.set(r.file, [...(results.get(r.file) ?? []), r]);
  }
}

test('the generator makes at least 300 configurations, and all of them ran', () => {
  assert.equal(run.status, 0, `${run.signal ?? ''} ${run.stderr.slice(0, 4000)}`);
  assert.ok(cases.length >= 300, `${cases.length} cases`);
  assert.equal(results.size, cases.length);
  assert.ok(totalMs < 120_000, `took ${Math.round(totalMs)} ms`);
  // The injection attempts name this file; nothing may have run them.
  assert.equal(existsSync('/tmp/keepsake-pwned'), false);
});

describe('each is refused cleanly', () => {
  cases.forEach((c, i) => {
    const file = files[i]!;
    test(c.name, () => {
      const runs = results.get(file);
      assert.ok(runs, 'not run');
      for (const r of runs) {
        const what = `${r.command}: ${r.stderr.slice(0, 1500)}${r.stdout.slice(0, 500)}`;
        assert.equal(r.status, 2, what);
        assert.ok(r.ms < 2000, `${r.command} took ${Math.round(r.ms)} ms`);
        assert.ok(r.stderr.includes(`${file}:`), `no ${file}:LINE in ${what}`);
        assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+`), what);
        assert.doesNotMatch(r.stderr, /^\s+at /m, `a stack trace: ${what}`);
        assert.equal(r.changed, undefined, what);
        assert.doesNotMatch(r.stdout, /valid;/);
      }
    });
  });
});
