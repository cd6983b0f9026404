// `keepsake prune` against adversaries, on a temporary root in a private mount namespace: a
// process writing into the orphan while it is deleted, a file system mounted inside it while
// it is deleted, and a read-only store.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { singleQuoted } from '../../src/core/display.js';
import { CLI, requireNamespaces } from '../helpers/boot.js';
import { cleanups, ks, orphansOf, type Store, snapshot, store } from '../helpers/prune-store.js';

const skip = requireNamespaces();
after(() => {
  for (const c of cleanups) c();
});

/** Waits until `pid` is stopped (SIGSTOP), or fails after a while. */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) [tT] /.test(stat)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`process ${pid} did not stop`);
}

function exited(child: ChildProcess): Promise<{ status: number | null; out: string }> {
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, out })));
}

/** `prune /persist/work --yes` in a namespace of its own, stopped after its first deletion. */
function pruneStoppedAtFirst(s: Store) {
  // The shell execs keepsake, so the child's pid is keepsake's.
  const script = `exec ${[process.execPath, CLI, 'prune', '/persist/work', '--yes', '--root', s.root, '--config', s.config].map(singleQuoted).join(' ')}`;
  return spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    env: { ...process.env, NO_COLOR: '1', KEEPSAKE_TEST_STOP_AT: 'prune:1' },
  });
}

/** The pid of the process running `keepsake prune` under the unshare child. */
function keepsakePid(child: ChildProcess): number {
  // unshare execs sh, which execs node: one process throughout.
  return child.pid!;
}

function work(s: Store) {
  for (const d of ['d1', 'd2', 'd3']) {
    fs.mkdirSync(`${s.store}/work/${d}`, { recursive: true });
    for (let i = 0; i < 3; i++) fs.writeFileSync(`${s.store}/work/${d}/f${i}`, `${d} ${i}\n`);
  }
}

describe('prune with a process writing into the orphan', { skip }, () => {
  it('deletes only what it judged: files created or written after the check stay', async () => {
    const s = store();
    work(s);
    const child = pruneStoppedAtFirst(s);
    const done = exited(child);
    await stopped(keepsakePid(child));
    // The check is done and one entry is gone: create a file in every directory of the
    // orphan, and write to a file of it that is still there.
    const made: string[] = ['/work/new-top'];
    for (const d of ['d1', 'd2', 'd3']) made.push(`/work/${d}/new`);
    for (const m of made) fs.writeFileSync(`${s.store}${m}`, `written after the check ${m}\n`);
    const left = ['d1', 'd2', 'd3']
      .flatMap((d) => [0, 1, 2].map((i) => `/work/${d}/f${i}`))
      .filter((p) => fs.existsSync(`${s.store}${p}`));
    assert.equal(left.length, 8, 'one of nine files was deleted before the stop');
    const changed = left[left.length - 1]!;
    fs.appendFileSync(`${s.store}${changed}`, 'and changed after the check\n');
    process.kill(keepsakePid(child), 'SIGCONT');
    const r = await done;

    assert.equal(r.status, 1, r.out);
    for (const m of made) {
      assert.equal(fs.readFileSync(`${s.store}${m}`, 'utf8'), `written after the check ${m}\n`);
    }
    assert.match(fs.readFileSync(`${s.store}${changed}`, 'utf8'), /and changed after the check/);
    assert.match(r.out, /partly deleted \/persist\/work/);
    for (const m of made) {
      assert.match(
        r.out,
        new RegExp(`kept /persist${m}: it appeared after prune checked the tree`),
      );
    }
    assert.match(
      r.out,
      new RegExp(`kept /persist${changed}: it changed after prune checked the tree`),
    );
    // The rest of the orphan is still listed as itself, and a second prune (which judges
    // the new files) deletes it.
    const work2 = orphansOf(s).find((o) => o.path === '/persist/work');
    assert.equal(work2?.files, made.length + 1);
    const again = ks(s, ['prune', '/persist/work', '--yes']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(fs.existsSync(`${s.store}/work`), false);
  });

  it('keeps every file a writer created while the deletion ran', async () => {
    const s = store();
    fs.mkdirSync(`${s.store}/work`);
    for (const d of ['d0', 'd1', 'd2']) {
      fs.mkdirSync(`${s.store}/work/${d}`);
      for (let i = 0; i < 600; i++) fs.writeFileSync(`${s.store}/work/${d}/old${i}`, 'x');
    }
    const child = pruneStoppedAtFirst(s);
    const done = exited(child);
    await stopped(keepsakePid(child));
    // The writer starts after the check: nothing it creates was judged. A file it wrote
    // and logged must be there afterwards (a write into a directory already removed fails).
    const log = `${s.dir}/written`;
    const stop = `${s.dir}/stop`;
    const writer = spawn('sh', [
      '-c',
      `i=0; while [ ! -e ${singleQuoted(stop)} ]; do d=d$((i % 3)); if echo "$i" > ${singleQuoted(`${s.store}/work`)}/$d/w$i 2>/dev/null; then echo $d/w$i >> ${singleQuoted(log)}; fi; i=$((i + 1)); done`,
    ]);
    const writerDone = exited(writer);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(keepsakePid(child), 'SIGCONT');
    const r = await done;
    fs.writeFileSync(stop, '');
    await writerDone;

    const written = fs.readFileSync(log, 'utf8').trim().split('\n');
    assert.ok(written.length > 10, `the writer wrote ${written.length} files`);
    const lost = written.filter((w) => !fs.existsSync(`${s.store}/work/${w}`));
    assert.deepEqual(lost, [], `prune (exit ${r.status}) deleted files it never judged`);
    assert.ok(r.status === 1 || r.status === 0, r.out);
  });
});

describe('prune with a file system mounted inside the orphan', { skip }, () => {
  it('never descends into a mount that appears while it deletes, and says so', async () => {
    const s = store();
    work(s);
    const mnt = `${s.store}/work/d2`;
    // keepsake stops after its first deletion; a tmpfs is then mounted in its namespace.
    const script = [
      `${[process.execPath, CLI, 'prune', '/persist/work', '--yes', '--root', s.root, '--config', s.config].map(singleQuoted).join(' ')} > ${singleQuoted(`${s.dir}/out`)} 2>&1 & pid=$!`,
      `while [ -e /proc/$pid ] && [ "$(cut -d' ' -f3 /proc/$pid/stat)" != T ]; do sleep 0.02; done`,
      `ls ${singleQuoted(mnt)} > ${singleQuoted(`${s.dir}/under`)}`,
      `mount -n -t tmpfs tmpfs ${singleQuoted(mnt)}`,
      `echo foreign > ${singleQuoted(`${mnt}/foreign`)}`,
      'kill -CONT $pid',
      'set +e; wait $pid; echo "status=$?"',
      `cat ${singleQuoted(`${mnt}/foreign`)}`,
      `ls ${singleQuoted(mnt)}`,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', KEEPSAKE_TEST_STOP_AT: 'prune:1' },
      timeout: 120_000,
    });
    const out = fs.readFileSync(`${s.dir}/out`, 'utf8');
    assert.match(r.stdout, /status=1/, `${r.stdout}${r.stderr}${out}`);
    assert.match(r.stdout, /^foreign$/m); // the tmpfs's file is untouched
    assert.match(out, /kept \/persist\/work\/d2: a file system is mounted there/);
    assert.match(out, /partly deleted \/persist\/work/);
    // Outside the namespace the mount is gone; what was under it is the orphan's own data,
    // still listed as part of it.
    const hidden = fs.readFileSync(`${s.dir}/under`, 'utf8').trim().split('\n');
    assert.ok(hidden.length >= 2, hidden.join(' '));
    assert.deepEqual(fs.readdirSync(mnt).sort(), hidden.sort());
    assert.ok(orphansOf(s).some((o) => o.path === '/persist/work'));
  });
});

describe('prune on a read-only store', { skip }, () => {
  it('refuses, deleting nothing, with exit 2 and how to go on', () => {
    const s = store();
    const before = snapshot(s.store);
    const ro = `mount -n --bind ${singleQuoted(s.store)} ${singleQuoted(s.store)} && mount -n -o remount,bind,ro ${singleQuoted(s.store)}`;
    const run = (...args: string[]) =>
      spawnSync(
        'unshare',
        [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          `${ro} && exec ${[process.execPath, CLI, ...args, '--root', s.root, '--config', s.config].map(singleQuoted).join(' ')}`,
        ],
        { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
      );
    const all = run('prune', '--yes');
    assert.equal(all.status, 2, `${all.stdout}${all.stderr}`);
    assert.match(
      all.stderr,
      /refused: \/persist\/many: its file system is mounted read-only \(at \/persist\): remount it read-write \(mount -o remount,rw \/persist\), then prune again/,
    );
    assert.match(all.stderr, /refusing to prune: 5 paths cannot be pruned, nothing was deleted/);
    assert.doesNotMatch(all.stdout, /deleted/);
    const named = run('prune', '/persist/nest/a', '--yes', '--json');
    assert.equal(named.status, 2, named.stderr);
    const rec = JSON.parse(named.stdout) as { ok: boolean; refused: Array<{ reason: string }> };
    assert.equal(rec.ok, false);
    assert.match(rec.refused[0]!.reason, /read-only/);
    assert.deepEqual(snapshot(s.store), before);
    // Writable again, the same prune goes through.
    const rw = ks(s, ['prune', '--yes']);
    assert.equal(rw.status, 0, rw.stderr);
  });
});
