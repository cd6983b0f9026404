// A store with room for the apply's directories but not for the history record: the binds
// are made, nothing of the record is left (no partial file, no temporary file), the apply
// fails saying what and where, and the next apply, with room again, writes the history it
// missed (before, it found the setup live and unchanged, and wrote none).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireNamespaces, sh, systemsCleanedAfter, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const dirs = Array.from({ length: 40 }, (_, i) => `/var/lib/app${i}`);
const CONFIG = `persistence:\n  /persist:\n    directories: [${dirs.join(', ')}]\n`;

describe('the history record on a full store', { skip }, () => {
  it('is never half-written, and the next apply with room records it', () => {
    const s = new TestSystem({ config: CONFIG, stores: [] });
    systems.push(s);
    const r = s.boot([
      // One page of data: directories (inodes) fit, a record of some kilobytes does not.
      {
        do: 'sh',
        cmd: 'mkdir -p "$ROOT/persist" && mount -n -t tmpfs -o size=4k,mode=755 store "$ROOT/persist"',
      },
      { do: 'apply' },
      { do: 'mounts' },
      { do: 'sh', cmd: 'cd "$ROOT/persist/.keepsake" 2>/dev/null && find . -type f | sort; true' },
      { do: 'sh', cmd: 'mount -n -o remount,size=1m "$ROOT/persist"' },
      { do: 'apply' },
      {
        do: 'sh',
        cmd: 'cd "$ROOT/persist/.keepsake" && find generations -type f | sort && head -c 1 generations/000001.json',
      },
    ]);
    assert.equal(sh(r[0]).status, 0, sh(r[0]).stderr);
    const first = r[1];
    assert.ok(first?.do === 'apply');
    const text = first.stdout + first.stderr;
    // It fails loudly, says what and where, and shows no stack trace.
    assert.equal(first.status, 1, text);
    assert.match(
      text,
      /cannot write '\S+\/persist\/\.keepsake\/generations\/000001\.json': .*\(ENOSPC\)/,
    );
    assert.doesNotMatch(text, /\n\s+at /, 'a stack trace');
    // The steps were done: every bind is in place (the data is safe; only the history waits).
    const mounts = r[2];
    assert.ok(mounts?.do === 'mounts');
    assert.equal(mounts.points.filter((p) => p.startsWith('/var/lib/app')).length, dirs.length);
    const files = sh(r[3]).stdout.split('\n').filter(Boolean);
    // Whatever was kept is whole: no temporary file, no history record of a partial size.
    assert.deepEqual(files, [], files.join('\n'));
    const second = r[5];
    assert.ok(second?.do === 'apply');
    assert.equal(second.status, 0, second.stdout + second.stderr);
    const after2 = sh(r[6]);
    assert.equal(after2.status, 0, `${after2.stderr}\nsecond apply: ${second.stdout}`);
    assert.match(after2.stdout, /generations\/000001\.json\ngenerations\/000001\.setup\n\{/);
  });
});
