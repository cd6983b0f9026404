// An apply, and a plain diff, keep V8's young generation at the size it starts with
// (bin/keepsake.js): a process that lives for a fraction of a second pays a page fault for
// every page it touches first, and a young generation grown to 16 MiB a half is mostly such
// pages (and, for a diff that holds a large report, 25 to 35 MB more at its peak). V8 says how
// large the young generation is after each collection (--trace-gc-verbose); an apply of 1,500
// entries, and a diff of 40,000 lines, collect often enough that the default would have grown
// it.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, requireNamespaces, systemsCleanedAfter, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const ENTRIES = 1500;
const config = `persistence:\n  /persist:\n    directories:\n${Array.from(
  { length: ENTRIES },
  (_, i) => `      - /srv/g${Math.floor(i / 100)}/d${i}\n`,
).join('')}`;

/** The largest young generation ("New space ... committed") V8 reported, in KiB. */
function largestYoungKiB(trace: string): number {
  const sizes = [...trace.matchAll(/New space,.*committed:\s*(\d+) KB/g)].map((m) => Number(m[1]));
  assert.ok(sizes.length > 0, `V8 reported no collection:\n${trace.slice(0, 2000)}`);
  return Math.max(...sizes);
}

/** The V8s the launcher knows the flag on (Node 20 to 24). */
const knownV8 = (() => {
  const major = Number(process.versions.v8.split('.')[0]);
  return major >= 11 && major <= 13;
})();

describe("an apply's young generation", { skip }, () => {
  it('stays at the size V8 starts it with, and the apply says nothing more', () => {
    const system = new TestSystem({ config, stores: ['/persist'] });
    systems.push(system);
    const node = JSON.stringify(process.execPath);
    const cli = JSON.stringify(CLI);
    const configFile = JSON.stringify(system.configFile);
    const [apply, plain, other] = system.boot([
      // V8's trace and keepsake's report, both on standard output.
      {
        do: 'sh',
        cmd: `${node} --trace-gc-verbose ${cli} apply --root "$ROOT" --config ${configFile}`,
      },
      // A plain apply says nothing on stderr (no word from V8 about its flags).
      { do: 'apply' },
      // The same V8 left alone, in a program that keeps as much, grows it.
      {
        do: 'sh',
        cmd: `${node} --trace-gc-verbose -e "const a = []; for (let i = 0; i < 400000; i++) a.push({ i })"`,
      },
    ]);
    assert.ok(apply?.do === 'sh');
    assert.equal(apply.status, 0, apply.stderr);
    if (knownV8)
      assert.ok(largestYoungKiB(apply.stdout) <= 2048, `${largestYoungKiB(apply.stdout)} KiB`);
    assert.ok(plain?.do === 'apply');
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(plain.stderr, '');
    // So the figure above could have been larger.
    assert.ok(other?.do === 'sh');
    assert.ok(largestYoungKiB(other.stdout) > 2048, `${largestYoungKiB(other.stdout)} KiB`);
  });
});

describe("a diff's young generation", { skip }, () => {
  it('stays at the size V8 starts it with, where the same diff left alone grows it', () => {
    // 40 directories of 1,000 files, each holding a declared file: every file is a line of the
    // report, held to the end, which would grow a young generation left alone.
    const declared = Array.from({ length: 40 }, (_, d) => `      - /srv/g${d}/kept\n`).join('');
    const system = new TestSystem({
      config: `persistence:\n  /persist:\n    files:\n${declared}`,
      stores: ['/persist'],
    });
    systems.push(system);
    // V8's trace and the report share standard output: only V8's sizes and one line of the
    // report are kept.
    const node = `${JSON.stringify(process.execPath)} --trace-gc-verbose`;
    const args = `diff --root "$ROOT" --config ${JSON.stringify(system.configFile)}`;
    const kept = `| grep -E 'New space|/srv/g7/f999'`;
    // The same diff from its file without the launcher, which is what sets the flag.
    const diffFile = path.join(path.dirname(CLI), '../dist/bundle/diff.cjs');
    const alone = `require(${JSON.stringify(diffFile)}).runIfPlainDiff(['node', 'keepsake', ...process.argv.slice(1)])`;
    const [applied, built, plain, left] = system.boot([
      { do: 'apply' },
      {
        do: 'sh',
        cmd: 'cd "$ROOT/srv" && for d in g*; do (cd "$d" && seq -f "f%g" 1000 | xargs touch); done',
      },
      { do: 'sh', cmd: `${node} ${JSON.stringify(CLI)} ${args} ${kept}` },
      { do: 'sh', cmd: `${node} -e ${JSON.stringify(alone)} ${args} ${kept}` },
    ]);
    assert.ok(applied?.do === 'apply');
    assert.equal(applied.status, 0, applied.stderr);
    assert.ok(built?.do === 'sh');
    assert.equal(built.status, 0, built.stderr);
    assert.ok(plain?.do === 'sh' && left?.do === 'sh');
    assert.equal(plain.status, 0, plain.stderr);
    assert.ok(plain.stdout.includes('/srv/g7/f999'), 'the files are listed one by one');
    if (knownV8)
      assert.ok(largestYoungKiB(plain.stdout) <= 2048, `${largestYoungKiB(plain.stdout)} KiB`);
    // So the figure above could have been larger.
    assert.equal(left.status, 0, left.stderr);
    assert.ok(largestYoungKiB(left.stdout) > 2048, `${largestYoungKiB(left.stdout)} KiB`);
  });
});
