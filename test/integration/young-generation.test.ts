// An apply keeps V8's young generation at the size it starts with (bin/keepsake.js): a
// process that lives for a fraction of a second pays a page fault for every page it touches
// first, and a young generation grown to 16 MiB a half is mostly such pages. V8 says how large
// the young generation is after each collection (--trace-gc-verbose); an apply of 1,500
// entries collects often enough that the default would have grown it.

import assert from 'node:assert/strict';
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
