// The lock of a root, with and without flock: never two holders, never a stack trace. Roots
// are temporary directories; the read-only root and the running system's /run are private
// tmpfs mounts in a namespace of their own.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO, requireNamespaces } from '../helpers/boot.js';

const LOCK = `${REPO}/dist/src/system/lock.js`;
const BINDING = `${REPO}/dist/src/system/binding.js`;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempRoot(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-lock-'));
  dirs.push(d);
  return d;
}

/** A script that takes the lock on ROOT (flock unless NOFLOCK) and reports as one JSON line. */
const TAKE = `
const { acquireLock } = await import(${JSON.stringify(LOCK)});
const { loadBinding } = await import(${JSON.stringify(BINDING)});
const [root, hold, flock] = process.argv.slice(-3);
try {
  const lock = acquireLock(root, flock === 'flock' ? loadBinding().binding : null, 'apply');
  console.log(JSON.stringify({ ok: true, path: lock.path, notice: lock.notice ?? null }));
  await new Promise((r) => setTimeout(r, Number(hold)));
  lock.release();
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.constructor.name, message: e.message, hint: e.hint ?? null }));
}
`;

describe('the lock without flock', () => {
  it('racing takers, a stale file left by a killed holder: one holder at a time, clean refusals', () => {
    const root = tempRoot();
    fs.mkdirSync(`${root}/run`, { mode: 0o755 });
    // A holder killed while holding: its file names a process that is gone.
    const killed = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { acquireLock } = await import(${JSON.stringify(LOCK)});
         acquireLock(process.argv[1], null, 'apply'); process.kill(process.pid, 'SIGKILL');`,
        root,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.ok(fs.existsSync(`${root}/run/keepsake/lock.pid`));
    // Six workers, forty rounds each: inside the lock, an O_EXCL marker must always be free.
    const worker = `
const { acquireLock } = await import(${JSON.stringify(LOCK)});
const fs = await import('node:fs');
const root = process.argv.at(-1);
const tally = { held: 0, refused: 0, overlaps: 0, other: [] };
for (let i = 0; i < 40; i++) {
  let lock;
  try { lock = acquireLock(root, null, 'w'); }
  catch (e) { if (e.constructor.name === 'LockedError') tally.refused++; else tally.other.push(e.constructor.name + ': ' + e.message); continue; }
  try { fs.closeSync(fs.openSync(root + '/inside', 'wx')); } catch { tally.overlaps++; }
  tally.held++;
  const until = Date.now() + 2; while (Date.now() < until);
  fs.rmSync(root + '/inside', { force: true });
  lock.release();
}
console.log(JSON.stringify(tally));
`;
    const script = `${root}/worker.mjs`;
    fs.writeFileSync(script, worker);
    const r = spawnSync(
      'sh',
      [
        '-c',
        `for i in 1 2 3 4 5 6; do "${process.execPath}" "${script}" "${root}" > "${root}/out.$i" 2>&1 & done; wait`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const tallies = [1, 2, 3, 4, 5, 6].map((i) => {
      const text = fs.readFileSync(`${root}/out.${i}`, 'utf8');
      assert.doesNotMatch(text, /^\s+at /m, text);
      return JSON.parse(text) as {
        held: number;
        refused: number;
        overlaps: number;
        other: string[];
      };
    });
    assert.deepEqual(
      tallies.flatMap((t) => t.other),
      [],
    );
    assert.equal(
      tallies.reduce((n, t) => n + t.overlaps, 0),
      0,
    );
    assert.ok(tallies.reduce((n, t) => n + t.held, 0) > 6);
    // The last release leaves no file behind, and no stale file moved aside either.
    assert.deepEqual(fs.readdirSync(`${root}/run/keepsake`), []);
  });

  it('a stale file met by several takers at the same instant: one takes it over', () => {
    const root = tempRoot();
    fs.mkdirSync(`${root}/run/keepsake`, { recursive: true, mode: 0o700 });
    // Workers wait at a barrier each round; the round starts with a stale file (a pid that
    // cannot exist) and every worker tries once, at the same moment.
    const worker = `
const { acquireLock } = await import(${JSON.stringify(LOCK)});
const fs = await import('node:fs');
const [root, id, rounds] = process.argv.slice(-3);
const tally = { held: 0, refused: 0, overlaps: 0, other: [] };
for (let r = 0; r < Number(rounds); r++) {
  while (!fs.existsSync(root + '/go.' + r));
  try {
    const lock = acquireLock(root, null, 'w');
    try { fs.closeSync(fs.openSync(root + '/inside', 'wx')); } catch { tally.overlaps++; }
    tally.held++;
    await new Promise((res) => setTimeout(res, 40));
    fs.rmSync(root + '/inside', { force: true });
    lock.release();
  } catch (e) {
    if (e.constructor.name === 'LockedError') tally.refused++;
    else tally.other.push(e.constructor.name + ': ' + e.message);
  }
  fs.writeFileSync(root + '/done.' + r + '.' + id, '');
}
console.log(JSON.stringify(tally));
`;
    const conductor = `
const fs = await import('node:fs');
const { spawn } = await import('node:child_process');
const [root, workerScript] = process.argv.slice(-2);
const N = 6, ROUNDS = 25;
const outs = [];
const kids = Array.from({ length: N }, (_, id) => {
  const k = spawn(process.execPath, [workerScript, root, String(id), String(ROUNDS)]);
  let out = '';
  k.stdout.on('data', (d) => (out += d));
  k.stderr.on('data', (d) => (out += d));
  return new Promise((res) => k.on('close', () => res(out)));
});
for (let r = 0; r < ROUNDS; r++) {
  fs.writeFileSync(root + '/run/keepsake/lock.pid', '999999999 1\\nstale\\n');
  fs.writeFileSync(root + '/go.' + r, '');
  while (fs.readdirSync(root).filter((n) => n.startsWith('done.' + r + '.')).length < N)
    await new Promise((res) => setTimeout(res, 5));
}
console.log(JSON.stringify(await Promise.all(kids)));
`;
    fs.writeFileSync(`${root}/worker.mjs`, worker);
    fs.writeFileSync(`${root}/conductor.mjs`, conductor);
    const r = spawnSync(process.execPath, [`${root}/conductor.mjs`, root, `${root}/worker.mjs`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const outs = JSON.parse(r.stdout) as string[];
    const tallies = outs.map((text) => {
      assert.doesNotMatch(text, /^\s+at /m, text);
      return JSON.parse(text) as {
        held: number;
        refused: number;
        overlaps: number;
        other: string[];
      };
    });
    assert.deepEqual(
      tallies.flatMap((t) => t.other),
      [],
    );
    assert.equal(
      tallies.reduce((n, t) => n + t.overlaps, 0),
      0,
      JSON.stringify(tallies),
    );
    // Every round someone took the lock over: a stale file never stops them all.
    assert.ok(tallies.reduce((n, t) => n + t.held, 0) >= 25, JSON.stringify(tallies));
  });

  it('a link planted at the lock file: a refusal naming it, never followed', () => {
    const root = tempRoot();
    fs.mkdirSync(`${root}/run/keepsake`, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${root}/victim`, 'keep\n');
    fs.symlinkSync(`${root}/victim`, `${root}/run/keepsake/lock.pid`);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', TAKE, root, '0', 'file'], {
      encoding: 'utf8',
    });
    const v = JSON.parse(r.stdout);
    assert.equal(v.ok, false, r.stdout);
    assert.equal(v.name, 'UnsafePathError');
    assert.match(v.message, /symbolic link .*lock\.pid/);
    assert.ok(v.hint);
    assert.equal(fs.readFileSync(`${root}/victim`, 'utf8'), 'keep\n');
  });
});

describe('a read-only root without /run', { skip: requireNamespaces() }, () => {
  it("locks in the running system's /run, says where, and still counts once the root has /run", () => {
    const dir = tempRoot();
    fs.writeFileSync(`${dir}/take.mjs`, TAKE);
    const take = (hold: number) =>
      `"${process.execPath}" "${dir}/take.mjs" "${dir}/root" ${hold} flock`;
    const script = `set -e
mount -n -t tmpfs -o mode=0755 tmpfs /run
mkdir "${dir}/root"
mount -n -t tmpfs -o ro,mode=0755 tmpfs "${dir}/root"
${take(5000)} > "${dir}/first" &
sleep 1
${take(0)} > "${dir}/second"
mount -n -o remount,rw "${dir}/root"
mkdir -m 755 "${dir}/root/run"
${take(0)} > "${dir}/third"
wait
${take(0)} > "${dir}/fourth"
ls /run/keepsake/roots > "${dir}/roots"
`;
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const read = (f: string) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
    const first = read('first');
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.match(first.path, /^\/run\/keepsake\/roots\/\d+-\d+$/);
    assert.match(
      first.notice,
      /run is missing and cannot be made .*the lock for .* is \/run\/keepsake\/roots\//,
    );
    // While it holds: refused, before and after the root got a /run of its own.
    for (const f of ['second', 'third']) {
      const v = read(f);
      assert.equal(v.ok, false, JSON.stringify(v));
      assert.equal(v.name, 'LockedError');
      assert.match(v.message, /another keepsake is working on .*: pid \d+ \(keepsake apply/);
    }
    // Released: the root's own lock, and the fallback, are free again.
    const fourth = read('fourth');
    assert.equal(fourth.ok, true, JSON.stringify(fourth));
    assert.equal(fourth.path, `${dir}/root/run/keepsake/lock`);
    assert.equal(fs.readFileSync(`${dir}/roots`, 'utf8').trim(), path.basename(first.path));
  });
});
