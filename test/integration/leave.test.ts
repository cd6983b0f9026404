// How an apply ends (bin/keepsake.js, leaveNow): at once with exit(2), sparing Node's taking
// apart of its heap, only where no output can be waiting. A report far larger than a pipe holds,
// read late, arrives whole and in order whether the pipe blocks or was left non-blocking (where
// Node's stream takes over, and the apply leaves the usual way, after it has drained).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from '../helpers/boot.js';
import { namespaceProblem, skipUnlessCI } from '../helpers/ns-run.js';

const ENTRIES = 2500;
// Each needs a tool that CI installs (.ci/run): there, a missing one fails the test.
const strace = skipUnlessCI(
  spawnSync('strace', ['-V']).status === 0 ? null : 'strace is not installed',
);
const python = skipUnlessCI(
  spawnSync('python3', ['-V']).status === 0 ? null : 'python3 is not installed',
);

/** Runs `keepsake apply` (args after it) from /bin/sh as `shell` says, in a mount namespace of
 *  its own; `$APPLY` in `shell` is the command. */
function inNamespace(shell: string, apply: string[]): { out: string; err: string; code: number } {
  // Split by the shell: no path here has a space.
  const command = [process.execPath, CLI, 'apply', ...apply].join(' ');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', shell], {
    encoding: 'utf8',
    env: { ...process.env, APPLY: command },
    maxBuffer: 64 << 20,
  });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

/** Traces writes and munmap calls into `log`, every thread's, each line with its thread's id
 *  (seccomp-bpf: only the calls traced stop the process, so it runs at nearly full speed). */
const traced = (log: string) =>
  `strace -f --seccomp-bpf -qq -e trace=write,writev,munmap,exit_group -o '${log}'`;

/**
 * munmap calls of the main thread after its last write to descriptor 1 (strace's log): Node's
 * own way out makes some 40 as it takes its heap apart; exit(2) leaves that to the kernel.
 */
const AT_ONCE = 10;
function unmapsAfterReport(log: string): number {
  const all = fs.readFileSync(log, 'utf8').split('\n');
  // keepsake's main thread: the last to end a process (processes that python starts end
  // before it).
  const main = all.findLast((l) => /^\d+\s+exit_group\(/.test(l))?.split(/\s/)[0];
  assert.ok(main, 'no exit_group traced');
  const lines = all
    .filter((l) => l.startsWith(`${main} `))
    .map((l) => l.slice(main.length).trimStart());
  const last = lines.findLastIndex((l) => /^writev?\(1,/.test(l));
  assert.ok(last >= 0, 'no write to standard output traced');
  return lines.slice(last).filter((l) => l.startsWith('munmap(')).length;
}

describe('how an apply leaves', { skip: skipUnlessCI(namespaceProblem()) }, () => {
  let dir: string;
  let root: string;
  let config: string;
  before(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-leave-')));
    root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'persist'), { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
    const directories = Array.from({ length: ENTRIES }, (_, i) => `/var/lib/app/d${i}`);
    config = path.join(root, 'persist/keepsake.json');
    fs.writeFileSync(config, JSON.stringify({ persistence: { '/persist': { directories } } }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const args = () => ['--root', root, '--config', config];
  /** A booted system's /run, empty (without it, a notice would go to standard error). */
  const fresh = () => {
    fs.rmSync(path.join(root, 'run'), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, 'run'));
  };

  /** The report's action lines: every entry's bind, once each, in the order applied. */
  function assertWhole(out: string) {
    const binds = out.split('\n').filter((l) => /\bbind\b/.test(l) && /d\d+/.test(l));
    assert.ok(out.length > 128 << 10, `a report of ${out.length} bytes (more than a pipe holds)`);
    const numbers = binds.map((l) => Number(/d(\d+)\b/.exec(l)?.[1]));
    assert.deepEqual(
      [...new Set(numbers)].sort((a, b) => a - b),
      Array.from({ length: ENTRIES }, (_, i) => i),
    );
    assert.match(out, /\n$/);
  }

  it('a report through a pipe read late arrives whole, and the apply leaves at once', {
    skip: strace,
  }, () => {
    fresh();
    const log = path.join(dir, 'trace');
    const r = inNamespace(`${traced(log)} $APPLY | { sleep 2; cat; }`, args());
    assert.equal(r.code, 0, r.err);
    assertWhole(r.out);
    assert.ok(unmapsAfterReport(log) < AT_ONCE, `${unmapsAfterReport(log)} munmap calls after`);
  });

  it('a re-apply answered by the settled record leaves at once too', {
    skip: strace,
  }, () => {
    fresh();
    const log = path.join(dir, 'trace-settled');
    const r = inNamespace(
      `$APPLY > /dev/null && $APPLY > /dev/null && ${traced(log)} $APPLY | cat`,
      args(),
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /nothing to do/);
    assert.ok(unmapsAfterReport(log) < AT_ONCE, `${unmapsAfterReport(log)} munmap calls after`);
  });

  it('a report through a pipe left non-blocking arrives whole and in order', {
    skip: python || strace,
  }, () => {
    fresh();
    const log = path.join(dir, 'trace-nonblocking');
    // Descriptor 1 made non-blocking before keepsake starts: write(2) meets EAGAIN, and Node's
    // stream takes the rest; the apply must then wait for it to drain.
    const nonBlocking =
      'import fcntl, os, sys; fl = fcntl.fcntl(1, fcntl.F_GETFL); ' +
      'fcntl.fcntl(1, fcntl.F_SETFL, fl | os.O_NONBLOCK); os.execvp(sys.argv[1], sys.argv[1:])';
    const r = inNamespace(
      `${traced(log)} python3 -c '${nonBlocking}' $APPLY | { sleep 2; cat; }`,
      args(),
    );
    assert.equal(r.code, 0, r.err);
    assertWhole(r.out);
    // In order: the lines of the report are those of an apply that writes to a file.
    const lines = r.out.split('\n');
    const firstBind = lines.findIndex((l) => /\bbind\b/.test(l));
    const summary = lines.findIndex((l) => /^\d+ actions for \d+ entries$/.test(l));
    assert.ok(firstBind >= 0 && summary > firstBind, 'the summary comes after the steps');
    // Node's stream had the rest: the apply left the usual way, once it was written.
    assert.ok(unmapsAfterReport(log) >= AT_ONCE, `${unmapsAfterReport(log)} munmap calls after`);
  });
});
