// `keepsake orphans` and `keepsake prune` on real trees: booted systems (a private mount
// namespace with a fresh tmpfs root over persistent disks), and plain temp directories as
// `--root`, with `unshare -m` children wherever a mount is involved. Nothing is mounted in the
// test runner's own namespace.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { singleQuoted } from '../../src/core/display.js';
import type { Orphan } from '../../src/orphans/types.js';
import { CLI, REPO, requireNamespaces, type StepResult, TestSystem } from '../helpers/boot.js';
import { snapshot } from '../helpers/prune-store.js';

const skip = requireNamespaces();
const cleanups: Array<() => void> = [];
after(() => {
  for (const c of cleanups) c();
});

function system(opts: ConstructorParameters<typeof TestSystem>[0]) {
  const s = new TestSystem(opts);
  cleanups.push(() => s.cleanup());
  return s;
}

function ran(r: StepResult | undefined) {
  assert.ok(r && r.do === 'apply');
  return r;
}

const without = (snap: Record<string, string>, prefixes: string[]) =>
  Object.fromEntries(
    Object.entries(snap).filter(([p]) => !prefixes.some((x) => p === x || p.startsWith(`${x}/`))),
  );

const BEFORE = `persistence:
  /persist:
    directories: [/var/log, /var/lib/old, /var/lib/keep, /srv/keep]
    files: [/etc/machine-id]
`;
const AFTER = `persistence:
  /persist:
    directories: [/var/log, /var/lib/keep, /srv/keep]
    files: [/etc/machine-id]
`;
const MIB = 1024 * 1024;

/** A booted system whose /var/lib/old was persisted, then dropped from the configuration. */
function systemWithOrphans() {
  const s = system({ config: BEFORE, stores: ['/persist'] });
  const [applied] = s.boot([
    { do: 'apply' },
    { do: 'write', path: '/var/log/syslog', content: 'kept log\n' },
    { do: 'write', path: '/srv/keep/data', content: 'kept data\n' },
    { do: 'write', path: '/var/lib/old/big.bin', content: 'x'.repeat(MIB + 200 * 1024) },
    { do: 'write', path: '/var/lib/old/sub/small', content: 'hello' },
  ]);
  assert.equal(ran(applied).status, 0, ran(applied).stderr);
  s.setConfig(AFTER);
  const disk = s.disks['/persist']!;
  // Orphans of other kinds: a file in a referenced directory, and an undeclared directory.
  fs.writeFileSync(`${disk}/srv/stray.txt`, '1234567');
  fs.mkdirSync(`${disk}/opt/tool`, { recursive: true });
  fs.writeFileSync(`${disk}/opt/tool/bin`, 'abc');
  // Planted links inside an orphan, to a directory and a file outside the store.
  const outside = `${s.dir}/outside`;
  fs.mkdirSync(`${outside}/precious`, { recursive: true });
  fs.writeFileSync(`${outside}/precious/file`, 'do not touch');
  fs.symlinkSync(`${outside}/precious`, `${disk}/var/lib/old/sub/to-dir`);
  fs.symlinkSync(`${outside}/precious/file`, `${disk}/var/lib/old/to-file`);
  return { s, disk, outside };
}

describe('orphans and prune in a booted namespace', { skip }, () => {
  it('orphans lists the data of an entry removed from the configuration, with sizes', () => {
    const { s } = systemWithOrphans();
    const [json, text] = s.boot([
      { do: 'apply', command: 'orphans', args: ['--json'] },
      { do: 'apply', command: 'orphans' },
    ]);
    assert.equal(ran(json).status, 0, ran(json).stderr);
    const orphans = (JSON.parse(ran(json).stdout) as { orphans: Orphan[] }).orphans;
    assert.deepEqual(
      orphans.map((o) => [o.path, o.kind, o.files, o.directories, o.prunable]),
      [
        ['/persist/var/lib/old', 'directory', 4, 2, true],
        ['/persist/srv/stray.txt', 'file', 1, 0, true],
        ['/persist/opt', 'directory', 1, 2, true],
      ],
    );
    const old = orphans[0]!;
    const linkBytes = `${s.dir}/outside/precious`.length + `${s.dir}/outside/precious/file`.length;
    assert.equal(old.bytes, MIB + 200 * 1024 + 5 + linkBytes);
    assert.ok(Date.now() - Date.parse(old.newest) < 600_000, old.newest);
    assert.equal(ran(text).status, 0);
    const out = ran(text).stdout;
    assert.match(out, /\/persist: 3 orphans, 1\.2 MiB/);
    assert.match(
      out,
      /1\.2 MiB {2}\/persist\/var\/lib\/old {2}\(directory, 4 files, 2 directories; newest /,
    );
    assert.match(out, /7 B {2}\/persist\/srv\/stray\.txt {2}\(file; newest /);
    assert.match(out.trim().split('\n').at(-1)!, /keepsake prune PATH\.\.\. --yes/);
  });

  it('prune without --yes deletes nothing and exits 1', () => {
    const { s, disk } = systemWithOrphans();
    const before = snapshot(disk);
    const [r, j] = s.boot([
      { do: 'apply', command: 'prune' },
      { do: 'apply', command: 'prune', args: ['/persist/opt', '--json'] },
    ]);
    assert.equal(ran(r).status, 2);
    assert.match(ran(r).stdout, /would delete 3 paths, 1\.2 MiB/);
    assert.match(ran(r).stdout, /\/persist\/var\/lib\/old/);
    assert.match(ran(r).stderr, /nothing was deleted: pass --yes/);
    assert.equal(ran(j).status, 2);
    const value = JSON.parse(ran(j).stdout) as {
      dryRun: boolean;
      wouldDelete: Array<{ path: string }>;
    };
    assert.equal(value.dryRun, true);
    assert.deepEqual(
      value.wouldDelete.map((t) => t.path),
      ['/persist/opt'],
    );
    assert.deepEqual(snapshot(disk), before);
  });

  it('prune --yes deletes exactly the orphans, keeps every referenced byte, and removes planted links as links', () => {
    const { s, disk, outside } = systemWithOrphans();
    const before = snapshot(disk);
    const outsideBefore = snapshot(outside);
    assert.ok(before['/.keepsake'], 'apply left its records in the store');
    const [r, again] = s
      .boot([
        { do: 'apply' },
        { do: 'apply', command: 'prune', args: ['--yes', '--json'] },
        { do: 'apply', command: 'orphans', args: ['--json'] },
      ])
      .slice(1);
    assert.equal(ran(r).status, 0, ran(r).stderr);
    const result = JSON.parse(ran(r).stdout) as {
      ok: boolean;
      deleted: Array<{ path: string; files: number; directories: number; bytes: number }>;
      totals: { paths: number; files: number; directories: number };
    };
    assert.equal(result.ok, true);
    assert.deepEqual(result.deleted.map((d) => d.path).sort(), [
      '/persist/opt',
      '/persist/srv/stray.txt',
      '/persist/var/lib/old',
    ]);
    assert.deepEqual(
      [result.totals.paths, result.totals.files, result.totals.directories],
      [3, 6, 4],
    );
    const orphaned = ['/var/lib/old', '/srv/stray.txt', '/opt'];
    const after = snapshot(disk);
    // Nothing orphaned is left, and everything else is byte for byte as it was (records too).
    assert.deepEqual(
      Object.keys(after).filter((p) => orphaned.some((o) => p.startsWith(o))),
      [],
    );
    assert.deepEqual(without(after, ['/.keepsake']), without(before, [...orphaned, '/.keepsake']));
    assert.ok(after['/var/log/syslog'] && after['/srv/keep/data'] && after['/etc/machine-id']);
    // The links were removed; what they pointed to was not touched.
    assert.deepEqual(snapshot(outside), outsideBefore);
    assert.equal(fs.readFileSync(`${outside}/precious/file`, 'utf8'), 'do not touch');
    assert.deepEqual(JSON.parse(ran(again).stdout), { record: 'orphans', version: 1, orphans: [] });
  });

  it('refuses a path that is not orphaned, and then deletes nothing at all', () => {
    const { s, disk } = systemWithOrphans();
    const before = snapshot(disk);
    const results = s.boot([
      {
        do: 'apply',
        command: 'prune',
        args: ['/persist/var/lib/old', '/persist/var/log', '--yes'],
      },
      { do: 'apply', command: 'prune', args: ['/persist/srv', '--yes'] },
      { do: 'apply', command: 'prune', args: ['/persist/var/log/syslog', '--yes'] },
      { do: 'apply', command: 'prune', args: ['/etc/passwd', '--yes'] },
      { do: 'apply', command: 'prune', args: ['/persist/.keepsake', '--yes'] },
      { do: 'apply', command: 'prune', args: ['/persist', '--yes'] },
      { do: 'apply', command: 'prune', args: ['/persist/nothing-here', '--yes'] },
      { do: 'apply', command: 'prune', args: ['persist/opt', '--yes'] },
      { do: 'apply', command: 'prune', args: ['/persist/var/lib/old/sub/to-dir/file', '--yes'] },
      { do: 'apply', command: 'prune', args: ['/persist/srv', '--yes', '--json'] },
    ]);
    const [
      mixed,
      ancestor,
      inside,
      outsideStore,
      records,
      store,
      missing,
      relative,
      throughLink,
      json,
    ] = results.map(ran);
    for (const r of results.map(ran).slice(0, -1)) assert.equal(r.status, 2, r.stdout);
    assert.match(
      mixed!.stderr,
      /refused: \/persist\/var\/log: it is the data of the directory entry \/var\/log/,
    );
    assert.match(mixed!.stderr, /refusing to prune: 1 path cannot be pruned, nothing was deleted/);
    assert.doesNotMatch(mixed!.stderr, /refused: \/persist\/var\/lib\/old/);
    assert.match(ancestor!.stderr, /it holds the data of the directory entry \/srv\/keep/);
    assert.match(
      inside!.stderr,
      /it is the data of the directory entry \/var\/log \(in \/persist\/var\/log\)/,
    );
    assert.match(outsideStore!.stderr, /it is not inside any store \(\/persist\)/);
    assert.match(records!.stderr, /keepsake's own records/);
    assert.match(store!.stderr, /it is a store itself/);
    assert.match(missing!.stderr, /it does not exist/);
    assert.match(relative!.stderr, /not an absolute path/);
    assert.match(throughLink!.stderr, /\/persist\/var\/lib\/old\/sub\/to-dir is a symbolic link/);
    assert.equal(json!.status, 2);
    assert.deepEqual(JSON.parse(json!.stdout), {
      record: 'prune',
      version: 1,
      ok: false,
      deleted: [],
      refused: [
        {
          path: '/persist/srv',
          reason: 'it holds the data of the directory entry /srv/keep (/persist/srv/keep)',
        },
      ],
    });
    assert.deepEqual(snapshot(disk), before);
  });

  it('prunes a path inside an orphan, and only that', () => {
    const { s, disk } = systemWithOrphans();
    const before = snapshot(disk);
    const [r] = s.boot([
      { do: 'apply', command: 'prune', args: ['/persist/var/lib/old/sub/', '--yes'] },
    ]);
    assert.equal(ran(r).status, 0, ran(r).stderr);
    assert.match(
      ran(r).stdout,
      /deleted \/persist\/var\/lib\/old\/sub {2}\(2 files, 1 directory, \d+ B\)/,
    );
    assert.deepEqual(snapshot(disk), without(before, ['/var/lib/old/sub']));
  });

  it('lists a user-owned store but does not prune in it', () => {
    const s = system({
      config:
        'users:\n  jane:\n    persistence:\n      /persist/jane:\n        directories: [.ssh]\npersistence:\n  /persist:\n    directories: [/var/log]\n',
      stores: ['/persist', '/persist/jane'],
      users: [{ name: 'jane', uid: 1000 }],
    });
    const jane = s.disks['/persist/jane']!;
    fs.chownSync(jane, 1000, 1000);
    fs.writeFileSync(`${jane}/old-notes`, 'mine');
    fs.chownSync(`${jane}/old-notes`, 1000, 1000);
    fs.writeFileSync(`${s.disks['/persist']!}/stray`, 'x');
    const [, list, pruneJane, pruneAll] = s.boot([
      { do: 'apply' },
      { do: 'apply', command: 'orphans', args: ['--json'] },
      { do: 'apply', command: 'prune', args: ['/persist/jane/old-notes', '--yes'] },
      { do: 'apply', command: 'prune', args: ['--yes'] },
    ]);
    const orphans = (JSON.parse(ran(list).stdout) as { orphans: Orphan[] }).orphans;
    assert.deepEqual(
      orphans.map((o) => [o.path, o.store, o.prunable]),
      [
        ['/persist/stray', '/persist', true],
        ['/persist/jane/old-notes', '/persist/jane', false],
      ],
    );
    assert.match(orphans[1]!.reason!, /belongs to uid 1000/);
    assert.equal(ran(pruneJane).status, 2);
    assert.match(
      ran(pruneJane).stderr,
      /refused: \/persist\/jane\/old-notes: the store \/persist\/jane belongs to uid 1000/,
    );
    assert.equal(ran(pruneAll).status, 0, ran(pruneAll).stderr);
    assert.match(ran(pruneAll).stdout, /deleted \/persist\/stray/);
    assert.match(ran(pruneAll).stdout, /not pruned: \/persist\/jane\/old-notes/);
    assert.equal(fs.readFileSync(`${jane}/old-notes`, 'utf8'), 'mine');
    assert.equal(fs.existsSync(`${s.disks['/persist']!}/stray`), false);
  });
});

// ---- temp directories as --root; mounts only inside `unshare -m` children ----

interface TempRoot {
  /** A directory outside the root, on the same file system. */
  elsewhere: string;
  root: string;
  store: string;
  config: string;
}

function tempRoot(): TempRoot {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-prune-')));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = `${dir}/root`;
  for (const d of ['etc', 'run', 'persist/var/log'])
    fs.mkdirSync(`${root}/${d}`, { recursive: true });
  fs.chmodSync(`${root}/persist`, 0o755);
  fs.writeFileSync(`${root}/etc/passwd`, 'root:x:0:0::/root:/bin/sh\n');
  fs.writeFileSync(`${root}/etc/group`, 'root:x:0:\n');
  fs.writeFileSync(`${root}/persist/var/log/syslog`, 'kept');
  fs.mkdirSync(`${root}/persist/old/inner`, { recursive: true });
  fs.writeFileSync(`${root}/persist/old/a`, 'aaaa');
  fs.writeFileSync(`${root}/persist/old/inner/b`, 'bb');
  const config = `${dir}/keepsake.yaml`;
  fs.writeFileSync(config, 'persistence:\n  /persist:\n    directories: [/var/log]\n');
  const elsewhere = `${dir}/elsewhere`;
  fs.mkdirSync(elsewhere);
  fs.writeFileSync(`${elsewhere}/c`, 'bound');
  return { elsewhere, root, store: `${root}/persist`, config };
}

/** Runs `setup` (shell) then `command` in a private mount namespace. */
function inNamespace(setup: string, command: string[], input?: string) {
  const script = `set -e; ${setup}; exec ${command.map(singleQuoted).join(' ')}`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    ...(input === undefined ? {} : { input }),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const cli = (t: TempRoot, ...args: string[]) => [
  process.execPath,
  CLI,
  ...args,
  '--root',
  t.root,
  '--config',
  t.config,
];

describe('prune never crosses a mount point', { skip }, () => {
  for (const kind of ['tmpfs', 'bind'] as const) {
    it(`refuses an orphan with a ${kind} mount inside, and deletes nothing`, () => {
      const t = tempRoot();
      const mnt = `${t.store}/old/inner`;
      const mount =
        kind === 'tmpfs'
          ? `mount -n -t tmpfs tmpfs ${singleQuoted(mnt)}; echo on-tmpfs > ${singleQuoted(`${mnt}/c`)}`
          : // a bind mount of the same file system: same st_dev, found in the mount table
            `mount -n --bind ${singleQuoted(t.elsewhere)} ${singleQuoted(mnt)}`;
      const before = snapshot(t.store);
      const list = inNamespace(mount, cli(t, 'orphans', '--json'));
      assert.equal(list.status, 0, list.stderr);
      const old = (JSON.parse(list.stdout) as { orphans: Orphan[] }).orphans.find(
        (o) => o.path === '/persist/old',
      );
      assert.equal(old?.prunable, false);
      assert.deepEqual(old?.mounts, ['/persist/old/inner']);
      assert.match(old?.reason ?? '', /mounted inside it at \/persist\/old\/inner/);

      const named = inNamespace(mount, cli(t, 'prune', '/persist/old', '--yes'));
      assert.equal(named.status, 2, named.stdout);
      assert.match(
        named.stderr,
        /refused: \/persist\/old: a file system is mounted inside it at \/persist\/old\/inner/,
      );
      const all = inNamespace(mount, cli(t, 'prune', '--yes'));
      assert.equal(all.status, 0, all.stderr);
      assert.match(all.stdout, /not pruned: \/persist\/old: a file system is mounted inside it/);
      assert.match(all.stdout, /nothing to prune/);
      const inner = inNamespace(mount, cli(t, 'prune', '/persist/old/inner/c', '--yes'));
      assert.equal(inner.status, 2);
      assert.match(
        inner.stderr,
        /it lies on another file system, mounted at \/persist\/old\/inner/,
      );
      // Sibling paths inside the orphan are still prunable.
      const sibling = inNamespace(mount, cli(t, 'prune', '/persist/old/a', '--yes'));
      assert.equal(sibling.status, 0, sibling.stderr);
      assert.deepEqual(snapshot(t.store), without(before, ['/old/a']));
      assert.equal(fs.readFileSync(`${t.elsewhere}/c`, 'utf8'), 'bound');
    });
  }

  it('removeTreeSafe refuses a mount the mount table does not show, by its mount id', () => {
    const t = tempRoot();
    const before = snapshot(t.store);
    const code = `
      const { removeTreeSafe } = await import(${JSON.stringify(`${REPO}/dist/src/system/remove-tree.js`)});
      try { removeTreeSafe(${JSON.stringify(`${t.store}/old`)}, { mounts: [] }); console.log('deleted'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = inNamespace(
      `mount -n --bind ${singleQuoted(t.elsewhere)} ${singleQuoted(`${t.store}/old/inner`)}`,
      [process.execPath, '--input-type=module', '-e', code],
    );
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout) as { code: string; message: string };
    assert.equal(e.code, 'prune-refused');
    assert.match(e.message, /a file system is mounted inside it at '.*\/persist\/old\/inner'/);
    assert.deepEqual(snapshot(t.store), before);
    assert.equal(fs.readFileSync(`${t.elsewhere}/c`, 'utf8'), 'bound');
  });
});

describe('prune in a temporary root', {
  skip: process.geteuid?.() === 0 ? false : 'needs root',
}, () => {
  it('asks on a terminal, and deletes only after yes', { skip: scriptSkip() }, () => {
    const t = tempRoot();
    const run = (answer: string) =>
      spawnSync('script', ['-qec', cli(t, 'prune').map(singleQuoted).join(' '), '/dev/null'], {
        encoding: 'utf8',
        input: `${answer}\n`,
        env: { ...process.env, NO_COLOR: '1' },
      });
    const no = run('n');
    assert.match(no.stdout, /will delete 1 path, 6 B/);
    assert.match(no.stdout, /delete them\? \[y\/N\]/);
    assert.match(no.stdout, /nothing was deleted/);
    assert.ok(fs.existsSync(`${t.store}/old/a`));
    const yes = run('y');
    assert.match(yes.stdout, /deleted \/persist\/old/);
    assert.equal(fs.existsSync(`${t.store}/old`), false);
    assert.equal(fs.readFileSync(`${t.store}/var/log/syslog`, 'utf8'), 'kept');
  });

  it('says so when another keepsake holds the lock', () => {
    const t = tempRoot();
    const holder = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { acquireLock } = await import(${JSON.stringify(`${REPO}/dist/src/system/lock.js`)});
         const { loadBinding } = await import(${JSON.stringify(`${REPO}/dist/src/system/binding.js`)});
         const { spawnSync } = await import('node:child_process');
         const lock = acquireLock(${JSON.stringify(t.root)}, loadBinding().binding, 'apply');
         const r = spawnSync(process.execPath, ${JSON.stringify(cli(t, 'prune', '--yes').slice(1))}, { encoding: 'utf8' });
         lock.release();
         console.log(JSON.stringify({ status: r.status, stderr: r.stderr }));`,
      ],
      { encoding: 'utf8' },
    );
    const r = JSON.parse(holder.stdout) as { status: number; stderr: string };
    assert.equal(r.status, 2);
    assert.match(r.stderr, /another keepsake is working on .*keepsake apply/);
    assert.ok(fs.existsSync(`${t.store}/old/a`));
  });

  it('says when there is nothing to prune', () => {
    const t = tempRoot();
    fs.rmSync(`${t.store}/old`, { recursive: true });
    const r = spawnSync(process.execPath, cli(t, 'prune', '--yes').slice(1), { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /nothing to prune: no orphaned data/);
    const o = spawnSync(process.execPath, cli(t, 'orphans').slice(1), { encoding: 'utf8' });
    assert.match(o.stdout, /no orphaned data in \/persist/);
  });
});

function scriptSkip(): false | string {
  const r = spawnSync('script', ['-qec', 'true', '/dev/null'], { encoding: 'utf8' });
  return r.status === 0 ? false : 'script(1) cannot allocate a terminal here';
}
