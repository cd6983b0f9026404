// An apply's report goes out with write(2) on descriptor 1 (src/system/stdout.ts), not through
// process.stdout: all of it, in order, whatever the descriptor is. A pipe that blocks, one
// someone left non-blocking (EAGAIN, then Node's stream takes over), a reader that goes away
// (said once, never thrown), and a terminal (told apart without node:tty).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBinding } from '../../src/system/binding.js';
import { skipUnlessCI } from '../helpers/ns-run.js';

const STDOUT = fileURLToPath(new URL('../../src/system/stdout.js', import.meta.url));
const noAddon = skipUnlessCI(
  loadBinding().binding?.isTerminal ? null : 'the native addon (with isTerminal) is not built',
);

/** Runs `body` (ES module code with `m` the stdout module) in a child; stdout as `stdio`. */
function child(body: string): string[] {
  return [
    '--input-type=module',
    '-e',
    `const m = await import(${JSON.stringify(STDOUT)}); ${body}`,
  ];
}

/** Numbered lines, 1 MiB in all, in texts of about 100 KiB, each longer than a pipe holds. */
const WRITE_LINES = `
  const fs = await import('node:fs');
  let failures = 0;
  const failed = () => failures++;
  const out = process.env.NONBLOCK
    ? m.stdoutWriter(fs.openSync('/proc/self/fd/1', fs.constants.O_WRONLY | fs.constants.O_NONBLOCK), () => process.stdout)
    : m.writeStdout;
  let text = '';
  for (let i = 0; i < 20000; i++) {
    text += 'line ' + String(i).padStart(6, '0') + ' ' + 'é'.repeat(20) + '\\n';
    if (text.length > 100000) { out(text, failed); text = ''; }
  }
  out(text, failed);
  process.on('exit', () => process.stderr.write('failures ' + failures + '\\n'));
`;

/** A child's whole stdout through a pipe (a real one: a shell's) that is read only after
 *  `delayMs`, so that it fills. */
function readSlowly(
  args: string[],
  env: NodeJS.ProcessEnv,
  delayMs: number,
): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    const c = spawn(
      '/bin/sh',
      ['-c', `"$0" "$@" | { sleep ${delayMs / 1000}; cat; }`, process.execPath, ...args],
      { env: { ...process.env, ...env } },
    );
    const out: Buffer[] = [];
    let err = '';
    c.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    c.stdout.on('data', (d: Buffer) => out.push(d));
    c.on('close', (code) => resolve({ out: Buffer.concat(out).toString('utf8'), err, code }));
  });
}

function assertAllLines(out: string) {
  const lines = out.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 20000);
  for (let i = 0; i < lines.length; i++) {
    assert.equal(lines[i], `line ${String(i).padStart(6, '0')} ${'é'.repeat(20)}`, `line ${i}`);
  }
}

describe('standard output without the stream', () => {
  it('a pipe read late: every line arrives, in order, whole', async () => {
    const r = await readSlowly(child(WRITE_LINES), {}, 300);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /failures 0/);
    assertAllLines(r.out);
  });

  it('a pipe left non-blocking: EAGAIN hands the rest to Node’s stream, and the order holds', async () => {
    const r = await readSlowly(child(WRITE_LINES), { NONBLOCK: '1' }, 300);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /failures 0/);
    assertAllLines(r.out);
  });

  it('a reader gone: the failure is heard, nothing is thrown, the run goes on', () => {
    const r = spawnSync(
      '/bin/sh',
      [
        '-c',
        `"$0" "$@" | true`,
        process.execPath,
        ...child(`${WRITE_LINES}; process.on('exit', () => process.stderr.write('went on\\n'));`),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /went on/);
    assert.match(r.stderr, /failures [1-9]/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('a full disk: ENOSPC is heard', () => {
    const r = spawnSync(
      '/bin/sh',
      [
        '-c',
        `"$0" "$@" > /dev/full`,
        process.execPath,
        ...child(
          `const seen = []; m.writeStdout('x\\n', (e) => seen.push(e.code)); process.stderr.write(seen.join());`,
        ),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, 'ENOSPC');
  });

  it('tells a terminal from a file or a pipe, without loading node:tty', { skip: noAddon }, () => {
    const probe = child(
      `const said = m.isTerminal(1) + ' ' + process.moduleLoadList.some((x) => x.endsWith(' tty')); (await import('node:fs')).writeSync(2, said);`,
    );
    const piped = spawnSync(process.execPath, probe, { encoding: 'utf8' });
    assert.equal(piped.stderr, 'false false');
    const quoted = probe.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    // script(1) gives the child a terminal of its own; what the child says comes back on it.
    const tty = spawnSync('script', ['-qec', `${process.execPath} ${quoted} 2>&1`, '/dev/null'], {
      encoding: 'utf8',
    });
    assert.equal(tty.status, 0, tty.stderr);
    assert.match(tty.stdout, /true false/);
  });
});
