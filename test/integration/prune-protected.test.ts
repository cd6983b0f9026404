// The protected set on real trees: what `prune --yes` must keep even though no entry of the
// configuration names it (the configuration file, a home store, a home file's source, the
// source of a live bind mount), next to a real orphan it must delete; `orphans` and `prune`
// agreeing; and the adversaries: a planted link, a process writing into an orphan. Booted
// systems run in private mount namespaces (boot.ts); nothing is mounted in this namespace.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { singleQuoted } from '../../src/core/display.js';
import type { Orphan } from '../../src/orphans/types.js';
import { CLI, requireNamespaces, sh, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const cleanups: Array<() => void> = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

/** A keepsake command in a boot, with the configuration kept in the store. */
const ks = (args: string, config = '/persist/keepsake.yaml') =>
  `NO_COLOR=1 ${singleQuoted(process.execPath)} ${singleQuoted(CLI)} ${args} --root "$ROOT" --config "$ROOT${config}"`;

const WITH_OLD = `persistence:
  /persist:
    directories: [/var/log, /var/lib/old]
users:
  jane:
    homeStore: /persist/homes/jane
    files:
      .gitconfig:
        source: /persist/dotfiles/gitconfig
      .vimrc:
        source: ./dotfiles/vimrc
`;
const WITHOUT_OLD = WITH_OLD.replace('/var/log, /var/lib/old', '/var/log');

/** A store holding, besides entries' data, everything the protected set names. */
function storeWithProtectedData() {
  const s = new TestSystem({
    config: '# unused: the configuration lives in the store\n',
    stores: ['/persist'],
    users: [{ name: 'jane', uid: 1000 }],
  });
  cleanups.push(() => s.cleanup());
  const disk = s.disks['/persist']!;
  fs.writeFileSync(`${disk}/keepsake.yaml`, WITH_OLD);
  fs.writeFileSync(`${disk}/keepsake-next.yaml`, WITHOUT_OLD);
  fs.mkdirSync(`${disk}/homes/jane/generations`, { recursive: true });
  fs.writeFileSync(`${disk}/homes/jane/generations/000001.json`, '{}');
  for (const p of ['homes/jane', 'homes/jane/generations', 'homes/jane/generations/000001.json'])
    fs.chownSync(`${disk}/${p}`, 1000, 1000);
  fs.chmodSync(`${disk}/homes/jane`, 0o700);
  fs.mkdirSync(`${disk}/dotfiles`);
  fs.writeFileSync(`${disk}/dotfiles/gitconfig`, '[user]\n  name = jane\n');
  fs.writeFileSync(`${disk}/dotfiles/vimrc`, 'set nu\n');
  // Genuinely orphaned: nothing refers to them.
  fs.mkdirSync(`${disk}/opt/junk`, { recursive: true });
  fs.writeFileSync(`${disk}/opt/junk/blob`, 'x'.repeat(4096));
  fs.writeFileSync(`${disk}/dotfiles/old-zshrc`, 'unused');
  return { s, disk };
}

describe('prune --yes keeps what is referenced outside the entries', { skip }, () => {
  it('keeps the configuration, a home store, home-file sources and a live bind source; deletes the orphans', () => {
    const { s, disk } = storeWithProtectedData();
    const results = s.boot([
      { do: 'sh', cmd: ks('apply') },
      { do: 'write', path: '/var/lib/old/state', content: 'still mounted' },
      // The entry is dropped from the configuration; the bind stays until the next apply,
      // and the record of it in /run is lost (as compiled units never write it).
      { do: 'sh', cmd: `cp "$ROOT/persist/keepsake-next.yaml" "$ROOT/persist/keepsake.yaml"` },
      { do: 'remove', path: '/run/keepsake' },
      { do: 'sh', cmd: ks('orphans --json') },
      { do: 'sh', cmd: ks('prune --json') },
      { do: 'sh', cmd: ks('prune --yes --json') },
      { do: 'sh', cmd: 'cat "$ROOT/var/lib/old/state"' },
      { do: 'mounts' },
    ]);
    const [applied, , , , orphansRun, dryRun, pruned, stillThere, mounts] = results;
    assert.equal(sh(applied).status, 0, sh(applied).stderr);

    // `orphans` and `prune` agree: what orphans lists as prunable is what prune would delete.
    const orphans = (JSON.parse(sh(orphansRun).stdout) as { orphans: Orphan[] }).orphans;
    assert.deepEqual(
      orphans.map((o) => [o.path, o.prunable]),
      [
        ['/persist/opt', true],
        ['/persist/keepsake-next.yaml', true],
        ['/persist/dotfiles/old-zshrc', true],
      ],
    );
    const wouldDelete = (
      JSON.parse(sh(dryRun).stdout) as { wouldDelete: Array<{ path: string }> }
    ).wouldDelete.map((t) => t.path);
    assert.deepEqual(
      wouldDelete.sort(),
      orphans
        .filter((o) => o.prunable)
        .map((o) => o.path)
        .sort(),
    );

    assert.equal(sh(pruned).status, 0, sh(pruned).stderr);
    const result = JSON.parse(sh(pruned).stdout) as { deleted: Array<{ path: string }> };
    assert.deepEqual(result.deleted.map((d) => d.path).sort(), [
      '/persist/dotfiles/old-zshrc',
      '/persist/keepsake-next.yaml',
      '/persist/opt',
    ]);
    // Everything referenced is still there, byte for byte.
    assert.equal(fs.readFileSync(`${disk}/keepsake.yaml`, 'utf8'), WITHOUT_OLD);
    assert.equal(fs.readFileSync(`${disk}/homes/jane/generations/000001.json`, 'utf8'), '{}');
    assert.equal(fs.statSync(`${disk}/homes/jane`).uid, 1000);
    assert.equal(fs.readFileSync(`${disk}/dotfiles/gitconfig`, 'utf8'), '[user]\n  name = jane\n');
    assert.equal(fs.readFileSync(`${disk}/dotfiles/vimrc`, 'utf8'), 'set nu\n');
    assert.equal(fs.readFileSync(`${disk}/var/lib/old/state`, 'utf8'), 'still mounted');
    assert.equal(sh(stillThere).stdout, 'still mounted');
    assert.ok(mounts?.do === 'mounts' && mounts.points.includes('/var/lib/old'));
    assert.equal(fs.existsSync(`${disk}/opt`), false);
    assert.equal(fs.existsSync(`${disk}/dotfiles/old-zshrc`), false);
  });

  it('keeps the source of a bind mount someone else made, and prunes its siblings', () => {
    const { s, disk } = storeWithProtectedData();
    fs.mkdirSync(`${disk}/opt/shared`);
    fs.writeFileSync(`${disk}/opt/shared/db`, 'served');
    const [bound, list, pruned, served] = s
      .boot([
        // -n: mount(8) writes nothing to utab, which is not namespaced.
        {
          do: 'sh',
          cmd: 'mkdir -p "$ROOT/srv/shared" && mount -n --bind "$ROOT/persist/opt/shared" "$ROOT/srv/shared"',
        },
        { do: 'sh', cmd: ks('orphans --json') },
        { do: 'sh', cmd: ks('prune --yes') },
        { do: 'sh', cmd: 'cat "$ROOT/srv/shared/db"' },
      ])
      .map(sh);
    assert.equal(bound!.status, 0, bound!.stderr);
    const orphans = (JSON.parse(list!.stdout) as { orphans: Orphan[] }).orphans;
    assert.ok(orphans.some((o) => o.path === '/persist/opt/junk' && o.prunable));
    assert.ok(
      !orphans.some((o) => o.path === '/persist/opt' || o.path.startsWith('/persist/opt/shared')),
    );
    assert.equal(pruned!.status, 0, pruned!.stderr);
    assert.match(pruned!.stdout, /deleted \/persist\/opt\/junk/);
    assert.equal(served!.stdout, 'served');
    assert.equal(fs.readFileSync(`${disk}/opt/shared/db`, 'utf8'), 'served');
    assert.equal(fs.existsSync(`${disk}/opt/junk`), false);
  });

  it('names the reason when asked to prune a protected path, and deletes nothing', () => {
    const { s, disk } = storeWithProtectedData();
    const refusal = (p: string) => ({
      do: 'sh' as const,
      cmd: ks(`prune ${singleQuoted(p)} --yes`),
    });
    const results = s
      .boot([
        refusal('/persist/keepsake.yaml'),
        refusal('/persist/homes'),
        refusal('/persist/homes/jane/generations'),
        refusal('/persist/dotfiles/gitconfig'),
        refusal('/persist/dotfiles'),
      ])
      .map(sh);
    for (const r of results) assert.equal(r.status, 2, r.stdout);
    const [config, homes, inHome, source, sources] = results.map((r) => r.stderr);
    assert.match(
      config!,
      /refused: \/persist\/keepsake\.yaml: it is the configuration file in use/,
    );
    assert.match(homes!, /it holds the home store of jane \(\/persist\/homes\/jane\)/);
    assert.match(inHome!, /it is the home store of jane \(in \/persist\/homes\/jane\)/);
    assert.match(source!, /it is the source of jane's home file \/home\/jane\/\.gitconfig/);
    assert.match(sources!, /it holds the source of jane's home file/);
    assert.ok(fs.existsSync(`${disk}/homes/jane/generations/000001.json`));
    assert.ok(fs.existsSync(`${disk}/dotfiles/gitconfig`));
  });

  it('keeps a home store reached through a link in the store, at its real place', () => {
    const { s, disk } = storeWithProtectedData();
    // The home store's parent is a link: the data really lives in /persist/real-homes.
    fs.renameSync(`${disk}/homes`, `${disk}/real-homes`);
    fs.symlinkSync('/persist/real-homes', `${disk}/homes`);
    // A link planted in an orphan, pointing at the configuration.
    fs.symlinkSync('/persist/keepsake.yaml', `${disk}/opt/junk/config-link`);
    const [list, pruned] = s
      .boot([
        { do: 'sh', cmd: ks('orphans --json') },
        { do: 'sh', cmd: ks('prune --yes') },
      ])
      .map(sh);
    const orphans = (JSON.parse(list!.stdout) as { orphans: Orphan[] }).orphans;
    assert.deepEqual(orphans.map((o) => o.path).sort(), [
      '/persist/dotfiles/old-zshrc',
      '/persist/keepsake-next.yaml',
      '/persist/opt',
    ]);
    assert.equal(pruned!.status, 0, pruned!.stderr);
    assert.equal(fs.readFileSync(`${disk}/real-homes/jane/generations/000001.json`, 'utf8'), '{}');
    assert.equal(fs.readlinkSync(`${disk}/homes`), '/persist/real-homes');
    // The planted link went as a link; what it pointed to stayed.
    assert.equal(fs.existsSync(`${disk}/opt`), false);
    assert.equal(fs.readFileSync(`${disk}/keepsake.yaml`, 'utf8'), WITH_OLD);
  });
});

// ---- a temporary --root, no mounts ----

function tempRoot() {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-protect-')));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = `${dir}/root`;
  for (const d of ['etc/systemd/system', 'run', 'persist/var/log', 'persist/old'])
    fs.mkdirSync(`${root}/${d}`, { recursive: true });
  fs.chmodSync(`${root}/persist`, 0o755);
  fs.writeFileSync(
    `${root}/etc/passwd`,
    'root:x:0:0::/root:/bin/sh\njane:x:1000:1000::/home/jane:/bin/sh\n',
  );
  fs.writeFileSync(`${root}/etc/group`, 'root:x:0:\njane:x:1000:\n');
  fs.writeFileSync(`${root}/persist/old/log`, 'first line\n');
  fs.writeFileSync(`${root}/persist/stray`, 'stray');
  const config = `${dir}/keepsake.yaml`;
  fs.writeFileSync(config, 'persistence:\n  /persist:\n    directories: [/var/log]\n');
  return { dir, root, store: `${root}/persist`, config };
}

function run(t: ReturnType<typeof tempRoot>, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args, '--root', t.root, '--config', t.config], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function stop(child: ChildProcess) {
  if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
}

describe('prune keeps what is in use', {
  skip: process.geteuid?.() === 0 ? false : 'needs root',
}, () => {
  it('keeps the configuration a keepsake.service applies at boot', () => {
    const t = tempRoot();
    fs.writeFileSync(
      `${t.store}/boot.yaml`,
      'persistence:\n  /persist:\n    directories: [/var/log]\n',
    );
    fs.writeFileSync(
      `${t.root}/etc/systemd/system/keepsake.service`,
      '[Service]\nType=oneshot\nExecStart=/usr/local/bin/keepsake apply --config /persist/boot.yaml\n',
    );
    const r = run(t, 'prune', '--yes');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /deleted \/persist\/stray/);
    assert.equal(fs.existsSync(`${t.store}/stray`), false);
    assert.ok(fs.existsSync(`${t.store}/boot.yaml`));
    const named = run(t, 'prune', '/persist/boot.yaml', '--yes');
    assert.equal(named.status, 2);
    assert.match(
      named.stderr,
      /it is the configuration file \/etc\/systemd\/system\/keepsake\.service applies at boot/,
    );
  });

  it('leaves an orphan a process is writing into, until it stops', async () => {
    const t = tempRoot();
    const log = `${t.store}/old/log`;
    const writer = spawn(
      'sh',
      // Only the shell holds the file: each sleep it starts is given no descriptor 3.
      ['-c', 'exec 3>>"$1"; while :; do echo line >&3; sleep 0.02 3>&-; done', 'writer', log],
      { stdio: 'ignore' },
    );
    cleanups.push(() => stop(writer));
    await new Promise((r) => setTimeout(r, 200));
    const list = run(t, 'orphans', '--json');
    const old = (JSON.parse(list.stdout) as { orphans: Orphan[] }).orphans.find(
      (o) => o.path === '/persist/old',
    );
    assert.equal(old?.prunable, false);
    assert.match(
      old?.reason ?? '',
      new RegExp(`/persist/old/log is in use by process ${writer.pid} \\(sh\\)`),
    );
    const named = run(t, 'prune', '/persist/old/log', '--yes');
    assert.equal(named.status, 2);
    assert.match(named.stderr, /it is in use by process \d+ \(sh\); stop it first/);
    const all = run(t, 'prune', '--yes');
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /deleted \/persist\/stray/);
    assert.match(all.stdout, /not pruned: \/persist\/old: .*in use by process/);
    const size = fs.statSync(log).size;
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(fs.statSync(log).size > size, 'the writer still writes into the kept file');
    stop(writer);
    await new Promise((r) => writer.once('exit', r));
    const later = run(t, 'prune', '--yes');
    assert.equal(later.status, 0, later.stderr);
    assert.match(later.stdout, /deleted \/persist\/old/);
    assert.equal(fs.existsSync(`${t.store}/old`), false);
  });

  it('leaves what a user owns in a storage directory of the user that root owns', () => {
    const t = tempRoot();
    fs.writeFileSync(
      t.config,
      'users:\n  jane:\n    persistence:\n      /persist/jane:\n        directories: [.ssh]\npersistence:\n  /persist:\n    directories: [/var/log]\n',
    );
    const jane = `${t.store}/jane`;
    fs.mkdirSync(`${jane}/.ssh`, { recursive: true });
    fs.mkdirSync(`${jane}/old-project/src`, { recursive: true });
    fs.writeFileSync(`${jane}/old-project/src/main.c`, 'int main;');
    fs.chownSync(`${jane}/old-project/src/main.c`, 1000, 1000);
    fs.writeFileSync(`${jane}/notes`, 'mine');
    fs.chownSync(`${jane}/notes`, 1000, 1000);
    fs.writeFileSync(`${jane}/root-leftover`, 'root made this');
    const list = (JSON.parse(run(t, 'orphans', '--json').stdout) as { orphans: Orphan[] }).orphans;
    const byPath = Object.fromEntries(list.map((o) => [o.path, o]));
    assert.equal(byPath['/persist/jane/notes']?.prunable, false);
    assert.match(
      byPath['/persist/jane/notes']?.reason ?? '',
      /belongs to uid 1000, in jane's storage directory \/persist\/jane/,
    );
    assert.equal(byPath['/persist/jane/old-project']?.prunable, false);
    assert.match(
      byPath['/persist/jane/old-project']?.reason ?? '',
      /\/persist\/jane\/old-project\/src\/main\.c in it belongs to uid 1000/,
    );
    assert.equal(byPath['/persist/jane/root-leftover']?.prunable, true);
    const inside = run(t, 'prune', '/persist/jane/old-project/src', '--yes');
    assert.equal(inside.status, 2);
    assert.match(inside.stderr, /main\.c: belongs to uid 1000, in a user's storage directory/);
    const all = run(t, 'prune', '--yes');
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /deleted \/persist\/jane\/root-leftover/);
    assert.equal(fs.readFileSync(`${jane}/notes`, 'utf8'), 'mine');
    assert.equal(fs.readFileSync(`${jane}/old-project/src/main.c`, 'utf8'), 'int main;');
    assert.equal(fs.existsSync(`${jane}/root-leftover`), false);
  });
});
