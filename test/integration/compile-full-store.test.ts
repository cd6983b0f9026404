// keepsake compile's output swap, and install-service's units put into a shared directory,
// on a file system that cannot take the new output: full (a small tmpfs filled up) or
// read-only (the same tmpfs remounted read-only), in a private mount namespace. The command fails loudly, naming the path and the reason; the previous
// output stays exactly as it was, and nothing keepsake wrote beside it is left behind; once
// there is room again, the next compile writes the new output.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { singleQuoted } from '../../src/core/display.js';
import { CLI } from '../helpers/boot.js';
import { namespaceProblem, skipUnlessCI } from '../helpers/ns-run.js';
import { snapshot } from '../helpers/prune-store.js';

const skip = skipUnlessCI(namespaceProblem());

const tmp = fs.mkdtempSync(path.join(tmpdir(), 'keepsake-compile-full-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const OLD = 'persistence:\n  /persist:\n    directories: [/var/log]\n';
const NEW = 'persistence:\n  /persist:\n    directories: [/var/log, /srv/data]\n';

/**
 * In a new namespace: a 64 KiB tmpfs at `$T/mnt`, the old output compiled into it and copied
 * out (`$T/before`), then `fault` (which makes writing there fail), a compile of the new
 * configuration (`$T/failed.*`), the output copied out again (`$T/after`) with a listing of
 * the tmpfs (`$T/left`), then `mend` and the same compile again (`$T/rerun.*`, `$T/final`).
 */
function faultedCompile(
  name: string,
  fault: string,
  mend: string,
  command: 'compile' | 'install-service' = 'compile',
) {
  const t = path.join(tmp, name);
  fs.mkdirSync(path.join(t, 'root', 'persist'), { recursive: true });
  fs.writeFileSync(path.join(t, 'old.yaml'), OLD);
  fs.writeFileSync(path.join(t, 'new.yaml'), NEW);
  fs.writeFileSync(path.join(t, 'root', 'persist', 'install.yaml'), OLD);
  const args = (which: string) =>
    command === 'compile'
      ? ['compile', '--systemd', `${t}/mnt/out`, '--config', `${t}/${which}.yaml`]
      : ['install-service', '--unit-dir', `${t}/mnt/out`, '--bin', `/opt/${which}/keepsake`].concat(
          ['--config', `${t}/root/persist/install.yaml`],
        );
  const ks = (which: string) =>
    [process.execPath, CLI, ...args(which), '--root', `${t}/root`].map(singleQuoted).join(' ');
  const script = [
    'set -e',
    'cd "$T"',
    'mkdir mnt',
    'mount -n -t tmpfs -o size=64k,mode=0755 tmpfs mnt',
    `${ks('old')} > old.out 2>&1`,
    'cp -a mnt/out before',
    fault,
    `set +e; ${ks('new')} > failed.out 2> failed.err; echo $? > failed.status; set -e`,
    'cp -a mnt/out after',
    'ls -A mnt > left',
    mend,
    `set +e; ${ks('new')} > rerun.out 2> rerun.err; echo $? > rerun.status; set -e`,
    'cp -a mnt/out final',
    'ls -A mnt > left-after-rerun',
  ].join('\n');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    env: { ...process.env, T: t, NO_COLOR: '1' },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `the scenario itself failed: ${r.stderr}`);
  const read = (f: string) => fs.readFileSync(path.join(t, f), 'utf8');
  return {
    dir: t,
    read,
    failed: {
      status: Number(read('failed.status')),
      stdout: read('failed.out'),
      stderr: read('failed.err'),
    },
    rerun: {
      status: Number(read('rerun.status')),
      stdout: read('rerun.out'),
      stderr: read('rerun.err'),
    },
    before: snapshot(path.join(t, 'before')),
    after: snapshot(path.join(t, 'after')),
    final: snapshot(path.join(t, 'final')),
  };
}

/** The failed run, its output kept, its leftovers gone, and the rerun's new output. */
function assertFailedThenMended(
  r: ReturnType<typeof faultedCompile>,
  reason: RegExp,
  hint: RegExp,
) {
  const { failed, rerun } = r;
  process.stdout.write(`# said: ${failed.stderr.trim().replaceAll('\n', ' | ')}\n`);
  assert.notEqual(failed.status, 0, failed.stdout);
  assert.match(failed.stderr, reason, failed.stderr);
  // The directory the user named, not the sibling keepsake was writing when it failed.
  assert.match(failed.stderr, new RegExp(`cannot write ${r.dir}/mnt/out: `), 'the path is named');
  assert.doesNotMatch(failed.stderr, /keepsake-(new|old)-/);
  assert.match(failed.stderr, hint, 'and what to do');
  assert.doesNotMatch(failed.stderr, /^\s+at /m, 'no stack trace');
  assert.deepEqual(r.after, r.before, 'the previous output is exactly as it was');
  assert.ok(r.before['/system/var-log.mount'], 'the old output was there');
  assert.equal(r.before['/system/srv-data.mount'], undefined);
  assert.deepEqual(
    r
      .read('left')
      .split('\n')
      .filter((n) => n !== '' && n !== 'fill'),
    ['out'],
    'no temporary or set-aside directory is left beside the output',
  );
  assert.equal(rerun.status, 0, rerun.stdout + rerun.stderr);
  assert.ok(r.final['/system/srv-data.mount'], 'the rerun wrote the new output');
  assert.ok(r.final['/system/var-log.mount']);
  assert.deepEqual(
    r
      .read('left-after-rerun')
      .split('\n')
      .filter((n) => n !== '' && n !== 'fill'),
    ['out'],
  );
}

describe('compile onto a file system that cannot take the new output', { skip }, () => {
  it('a full file system: fails naming the path and ENOSPC, keeps the old output, and the rerun after freeing space writes the new one', () => {
    const r = faultedCompile(
      'full',
      // Filled to the last block: dd stops with ENOSPC.
      'dd if=/dev/zero of=mnt/fill bs=4k 2>/dev/null || true; test "$(df --output=avail mnt | tail -1)" -eq 0',
      'rm mnt/fill',
    );
    assertFailedThenMended(r, /\(ENOSPC\b/, /make room/);
  });

  it('a read-only file system: fails naming the path and EROFS, keeps the old output, and the rerun after remounting read-write writes the new one', () => {
    const r = faultedCompile(
      'read-only',
      'mount -n -o remount,ro mnt',
      'mount -n -o remount,rw mnt',
    );
    assertFailedThenMended(r, /\(EROFS\b/, /remount .* read-write/);
  });
});

describe('install-service into a unit directory that cannot take the new unit', { skip }, () => {
  /** The unit from before stays whole, the new one comes with the rerun. */
  function check(r: ReturnType<typeof faultedCompile>, reason: RegExp, hint: RegExp) {
    const { failed, rerun } = r;
    process.stdout.write(`# said: ${failed.stderr.trim().replaceAll('\n', ' | ')}\n`);
    assert.notEqual(failed.status, 0, failed.stdout);
    assert.match(failed.stderr, reason, failed.stderr);
    assert.match(failed.stderr, new RegExp(`cannot write ${r.dir}/mnt/out: `), 'the path is named');
    assert.doesNotMatch(failed.stderr, /\.tmp\b/, 'no temporary name');
    assert.match(failed.stderr, hint, 'and what to do');
    assert.doesNotMatch(failed.stderr, /^\s+at /m, 'no stack trace');
    assert.deepEqual(r.after, r.before, 'the unit directory is exactly as it was');
    assert.match(r.read('before/keepsake.service'), /^ExecStart=\/opt\/old\/keepsake /m);
    assert.equal(rerun.status, 0, rerun.stdout + rerun.stderr);
    assert.match(r.read('final/keepsake.service'), /^ExecStart=\/opt\/new\/keepsake /m);
    assert.deepEqual(
      Object.keys(r.final).filter((p) => p.endsWith('.tmp')),
      [],
      'nothing half-written is left',
    );
  }

  it('a full file system: fails naming the directory and ENOSPC, the installed unit stays, the rerun installs the new one', () => {
    const r = faultedCompile(
      'install-full',
      'dd if=/dev/zero of=mnt/fill bs=4k 2>/dev/null || true; test "$(df --output=avail mnt | tail -1)" -eq 0',
      'rm mnt/fill',
      'install-service',
    );
    check(r, /\(ENOSPC\b/, /make room/);
  });

  it('a read-only file system: fails naming the directory and EROFS, the installed unit stays, the rerun installs the new one', () => {
    const r = faultedCompile(
      'install-read-only',
      'mount -n -o remount,ro mnt',
      'mount -n -o remount,rw mnt',
      'install-service',
    );
    check(r, /\(EROFS\b/, /remount .* read-write/);
  });
});
