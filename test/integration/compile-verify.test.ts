// Compiled units and the service unit against the real systemd on this machine:
// `systemd-analyze verify` (which must also be able to fail), and the prepare rules run by the
// real `systemd-tmpfiles` in a temporary root. Nothing here mounts anything.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { escapePath } from '../../src/compile/escape.js';
import { compileSystemd, TMPFILES_FILE } from '../../src/compile/units.js';
import { writeOutputDir } from '../../src/compile/write.js';
import { loadConfig } from '../../src/config/index.js';
import { skipUnlessCI } from '../helpers/ns-run.js';
import { loadRealworld, writeAccounts } from '../helpers/realworld.js';

/** The repository (this file runs from dist/test/integration). */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const LAUNCHER = path.join(REPO, 'bin/keepsake.js');

const missingTool = ['systemd-analyze', 'systemd-tmpfiles'].find(
  (t) => spawnSync(t, ['--version']).status !== 0,
);
const skipTools = skipUnlessCI(missingTool ? `${missingTool} is not installed` : null);
const skipRoot = skipUnlessCI(
  missingTool
    ? `${missingTool} is not installed`
    : process.getuid?.() === 0
      ? null
      : 'creating files for other owners needs root',
);

const tmp = fs.mkdtempSync(path.join(tmpdir(), 'keepsake-compile-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ROOT = path.join(tmp, 'root');

/** A realistic configuration, with the names that need escaping in units and tmpfiles lines. */
const CONFIG = `persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/log
      - /var/lib/systemd
      - { directory: /var/lib/colord, user: jane, group: users, mode: "u=rwx,g=rx,o=" }
      - { directory: /srv/linked, method: symlink }
      - "/srv/50%off done"
      - /srv/back\\slash
      - /srv/x-y/.hidden
    files:
      - /etc/machine-id
      - { file: /etc/ssh/ssh_host_ed25519_key, mode: "0600", parentDirectory: { mode: "0700" } }
    users:
      jane:
        directories: [Downloads, { directory: .gnupg, mode: "0700" }, "VirtualBox VMs"]
        files: [.bash_history]
  /state:
    allowTrash: true
    directories: [/var/lib/systemd/coredump, /var/log/journal]
  /data store:
    directories: [/srv/ü]
users:
  jane:
    persistence:
      /persist/home/jane:
        directories: [.ssh, { directory: .local/share/Steam, method: symlink }]
salvage:
  enable: true
`;

function cli(...args: string[]) {
  return spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: 'utf8' });
}

function compile(out: string, ...extra: string[]) {
  const r = cli(
    'compile',
    '--systemd',
    out,
    '--config',
    path.join(tmp, 'config.yaml'),
    '--root',
    ROOT,
    ...extra,
  );
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return out;
}

/** The unit files (not the .wants links) of a unit directory. */
function unitsIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(mount|service|target)$/.test(f))
    .map((f) => path.join(dir, f));
}

/** `systemd-analyze verify` without systemd as PID 1: the units' own directory first on the
 *  search path (the trailing `:` keeps the system's), no generators, no man page lookups. */
function verify(files: string[], unitPath: string[]) {
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', ...files], {
    encoding: 'utf8',
    env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitPath.join(':')}:` },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Verified clean: success, and not a word about any of our units (unknown keys only warn). */
function assertVerifies(dir: string) {
  const files = unitsIn(dir);
  assert.ok(files.length > 0, `units in ${dir}`);
  const r = verify(files, [dir]);
  assert.equal(r.status, 0, r.out);
  const names = files.map((f) => path.basename(f));
  const mentioned = r.out
    .split('\n')
    .filter((l) => l.includes(dir) || names.some((n) => l.includes(n)));
  assert.deepEqual(mentioned, [], r.out);
}

/** The jobs of a boot, as verify plans them for a unit that wants `wants`: an ordering cycle
 *  among keepsake's units and the system's shows only in such a transaction. */
function bootTransaction(unitDir: string, wants: string): string {
  const check = fs.mkdtempSync(path.join(tmp, 'boot-'));
  fs.writeFileSync(path.join(check, 'boot-check.target'), `[Unit]\nWants=${wants}\n`);
  const r = spawnSync(
    'systemd-analyze',
    ['verify', '--man=no', '--generators=no', path.join(check, 'boot-check.target')],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        SYSTEMD_LOG_LEVEL: 'debug',
        SYSTEMD_UNIT_PATH: `${check}:${unitDir}:`,
      },
    },
  );
  return `${r.stdout}${r.stderr}`;
}

before(() => {
  writeAccounts(ROOT, ['jane'], ['users']);
  fs.writeFileSync(path.join(tmp, 'config.yaml'), CONFIG);
});

describe('writing the output', () => {
  it('never leaves its output missing: a compile killed with the old output set aside is mended by the next', () => {
    const out = compile(path.join(tmp, 'killed'));
    const units = fs.readdirSync(path.join(out, 'system')).sort();
    const killed = spawnSync(
      process.execPath,
      [
        LAUNCHER,
        'compile',
        '--systemd',
        out,
        '--config',
        path.join(tmp, 'config.yaml'),
        '--root',
        ROOT,
      ],
      { encoding: 'utf8', env: { ...process.env, KEEPSAKE_TEST_KILL_AT: 'replace-directory:1' } },
    );
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(fs.existsSync(out), false, 'killed with the old output set aside');
    const aside = fs.readdirSync(tmp).filter((f) => f.startsWith('killed.keepsake-old-'));
    assert.equal(aside.length, 1);
    compile(out);
    assert.deepEqual(fs.readdirSync(path.join(out, 'system')).sort(), units);
    assert.ok(fs.existsSync(path.join(out, '.keepsake-compiled')));
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.startsWith('killed.keepsake-')),
      [],
      'nothing the killed run left stays behind',
    );
  });

  it('replaces its own output, and refuses a directory it did not write or an invalid config', () => {
    const out = compile(path.join(tmp, 'own'));
    fs.writeFileSync(path.join(out, 'system', 'stale.mount'), '');
    compile(out);
    assert.equal(fs.existsSync(path.join(out, 'system', 'stale.mount')), false);
    assert.ok(fs.existsSync(path.join(out, '.keepsake-compiled')));
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.includes('.keepsake-')),
      [],
      'no temporary sibling left behind',
    );

    const foreign = path.join(tmp, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    const r = cli(
      'compile',
      '--systemd',
      foreign,
      '--config',
      path.join(tmp, 'config.yaml'),
      '--root',
      ROOT,
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /not written by keepsake compile/);
    assert.deepEqual(fs.readdirSync(foreign), ['notes.txt']);

    const bad = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(
      bad,
      'persistence:\n  /persist:\n    directories: [/var/log, relative/path]\n',
    );
    const invalid = cli(
      'compile',
      '--systemd',
      path.join(tmp, 'never'),
      '--config',
      bad,
      '--root',
      ROOT,
    );
    assert.equal(invalid.status, 2);
    assert.match(invalid.stderr, /bad\.yaml:3:\d+: error/);
    assert.equal(fs.existsSync(path.join(tmp, 'never')), false);
  });

  it('installs the service next to units of others, but never over one', () => {
    const dir = path.join(tmp, 'unit-dir');
    const cfg = path.join(ROOT, 'persist', 'install.yaml');
    fs.mkdirSync(path.dirname(cfg), { recursive: true });
    fs.copyFileSync(path.join(tmp, 'config.yaml'), cfg);
    const install = () =>
      cli('install-service', '--unit-dir', dir, '--config', cfg, '--root', ROOT);
    assert.equal(install().status, 0);
    assert.equal(install().status, 0, 'a second install replaces its own unit');
    fs.writeFileSync(path.join(dir, 'keepsake.service'), '[Service]\nExecStart=/bin/true\n');
    const r = install();
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      fs.readFileSync(path.join(dir, 'keepsake.service'), 'utf8'),
      '[Service]\nExecStart=/bin/true\n',
    );
    const dry = cli('install-service', '--dry-run', '--config', cfg, '--root', ROOT);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /^ExecStart=\/usr\/local\/bin\/keepsake apply --config \/persist\/install\.yaml --keep-going$/m,
    );
    // The dry run shows every file the real run writes, and each mount requirement once.
    fs.rmSync(path.join(dir, 'keepsake.service'));
    const real = install();
    assert.equal(real.status, 0, real.stderr);
    const wrote = [...real.stdout.matchAll(/^wrote (.*)$/gm)].map((m) => m[1]).sort();
    const dryDir = cli(
      'install-service',
      '--dry-run',
      '--unit-dir',
      dir,
      '--config',
      cfg,
      '--root',
      ROOT,
    );
    const shown = [...dryDir.stdout.matchAll(/^# would (?:write|link) (\S+?):?(?: -> .*)?$/gm)]
      .map((m) => m[1])
      .sort();
    assert.ok(wrote.length > 0);
    assert.deepEqual(shown, wrote, dryDir.stdout);
    const unit = dryDir.stdout
      .split(/^# would /m)
      .find((f) => /^write \S+\/keepsake\.service:/.test(f));
    const needs = [...(unit ?? '').matchAll(/^RequiresMountsFor=(.*)$/gm)].map((m) => m[1]);
    assert.ok(needs.length > 0, dryDir.stdout);
    assert.deepEqual(needs, [...new Set(needs)]);
    assert.ok(!needs.includes('/'), needs.join(' '));
  });
});

describe('systemd-analyze verify', { skip: skipTools }, () => {
  before(() => assert.equal(missingTool, undefined, `${missingTool} is required under CI`));

  it('accepts the compiled units, for the booted system and for the initrd', () => {
    assertVerifies(path.join(compile(path.join(tmp, 'normal')), 'system'));
    // salvage.enable: the shutdown salvage unit is among those verified.
    assert.ok(fs.existsSync(path.join(tmp, 'normal', 'system', 'keepsake-salvage.service')));
    const initrd = compile(
      path.join(tmp, 'initrd'),
      '--initrd',
      '--store-device',
      '/persist=/dev/disk/by-label/persist:ext4',
      '--store-device',
      '/data store=/dev/disk/by-path/pci-0000:00:1f.2-ata-1',
    );
    assertVerifies(path.join(initrd, 'system'));
    assert.ok(fs.existsSync(path.join(initrd, 'system', 'sysroot-persist.mount')));
  });

  it('accepts the service unit', () => {
    const dir = path.join(tmp, 'service-units');
    const r = cli(
      'install-service',
      '--unit-dir',
      dir,
      '--bin',
      LAUNCHER,
      '--config',
      path.join(tmp, 'config.yaml'),
      '--root',
      ROOT,
    );
    // The configuration lies outside --root: refused, nothing written.
    assert.equal(r.status, 2, r.stderr);
    assert.equal(fs.existsSync(dir), false);
    const inRoot = path.join(ROOT, 'persist', 'keepsake config.yaml');
    fs.mkdirSync(path.dirname(inRoot), { recursive: true });
    fs.copyFileSync(path.join(tmp, 'config.yaml'), inRoot);
    const ok = cli(
      'install-service',
      '--unit-dir',
      dir,
      '--bin',
      LAUNCHER,
      '--config',
      inRoot,
      '--root',
      ROOT,
    );
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(
      fs.readlinkSync(path.join(dir, 'local-fs.target.wants', 'keepsake.service')),
      '../keepsake.service',
    );
    assert.match(
      fs.readFileSync(path.join(dir, 'keepsake.service'), 'utf8'),
      /^ExecStart=\S+ apply --config "\/persist\/keepsake config\.yaml" --keep-going$/m,
    );
    assert.match(
      fs.readFileSync(path.join(dir, 'keepsake.service'), 'utf8'),
      /^ExecStop=-\S+ salvage run --config "\/persist\/keepsake config\.yaml"\nExecStop=\S+ release /m,
    );
    assertVerifies(dir);
  });

  it('fails on a unit that names a missing program or a mount point that is not its name', () => {
    const good = path.join(compile(path.join(tmp, 'to-break')), 'system');
    const broken = path.join(tmp, 'broken');
    fs.cpSync(good, broken, { recursive: true, verbatimSymlinks: true });
    const prepare = path.join(broken, 'keepsake-prepare.service');
    fs.writeFileSync(
      prepare,
      fs
        .readFileSync(prepare, 'utf8')
        .replace('ExecStart=systemd-tmpfiles', 'ExecStart=/nonexistent/tmpfiles'),
    );
    const r = verify([prepare], [broken]);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /nonexistent/);
    const mount = path.join(broken, 'var-log.mount');
    fs.writeFileSync(
      mount,
      fs.readFileSync(mount, 'utf8').replace('Where=/var/log', 'Where=/var/logs'),
    );
    const m = verify([mount], [broken]);
    assert.notEqual(m.status, 0, m.out);
    assert.match(m.out, /Where= setting doesn't match unit name/);
    const cfg = path.join(ROOT, 'persist', 'broken.yaml');
    fs.mkdirSync(path.dirname(cfg), { recursive: true });
    fs.copyFileSync(path.join(tmp, 'config.yaml'), cfg);
    const units = path.join(tmp, 'broken-service');
    const args = ['--unit-dir', units, '--bin', '/nonexistent/keepsake', '--config', cfg];
    assert.equal(cli('install-service', ...args, '--root', ROOT).status, 0);
    const v = verify([path.join(units, 'keepsake.service')], [units]);
    assert.notEqual(v.status, 0, v.out);
    assert.match(v.out, /\/nonexistent\/keepsake/);
  });

  it('reads What= and RequiresMountsFor= as exactly the paths with spaces, % and backslashes', () => {
    // A deliberately broken mount unit for a path: verify reports it only if a dependency on
    // that very path was found, which proves how systemd parsed our values (`%o` is a
    // specifier, so an unescaped `%` would name another path). Each setting is
    // probed alone: a bind's What= adds the same dependency as its RequiresMountsFor=.
    const out = path.join(compile(path.join(tmp, 'probed')), 'system');
    const only = (text: string, keep: 'What' | 'RequiresMountsFor') =>
      keep === 'What'
        ? text.replace(/^RequiresMountsFor=.*\n/m, '')
        : text.replace(/^What=.*$/m, 'What=/elsewhere');
    for (const [unit, probePath, settings] of [
      ['srv-50\\x25off\\x20done.mount', '/persist/srv/50%off done', ['What', 'RequiresMountsFor']],
      ['srv-back\\x5cslash.mount', '/persist/srv/back\\slash', ['What', 'RequiresMountsFor']],
      ['keepsake-prepare.service', '/data store', ['RequiresMountsFor']],
    ] as const) {
      const probes = path.join(tmp, `probe-${escapePath(probePath)}`);
      fs.mkdirSync(probes, { recursive: true });
      const probe = `${escapePath(probePath)}.mount`;
      fs.writeFileSync(
        path.join(probes, probe),
        `[Mount]\nWhere=${probePath.replaceAll('%', '%%')}\nOptions=bind\n`,
      );
      for (const setting of settings) {
        const dir = path.join(probes, setting);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(
          path.join(dir, unit),
          only(fs.readFileSync(path.join(out, unit), 'utf8'), setting),
        );
        const r = verify([path.join(dir, unit)], [probes, dir, out]);
        assert.notEqual(r.status, 0, `${unit} ${setting}= did not reach ${probePath}:\n${r.out}`);
        assert.ok(r.out.includes(`${probe}: What= setting is missing`), r.out);
      }
    }
  });

  it('finds no ordering cycle in the transaction of a whole boot (verifying single units cannot)', () => {
    const normal = path.join(compile(path.join(tmp, 'cycles')), 'system');
    const initrd = path.join(
      compile(path.join(tmp, 'cycles-initrd'), '--initrd', '--store-device', '/persist=/dev/vdb'),
      'system',
    );
    const service = path.join(tmp, 'cycles-service');
    const cfg = path.join(ROOT, 'persist', 'cycles.yaml');
    fs.mkdirSync(path.dirname(cfg), { recursive: true });
    fs.copyFileSync(path.join(tmp, 'config.yaml'), cfg);
    const r = cli(
      'install-service',
      '--unit-dir',
      service,
      '--bin',
      LAUNCHER,
      '--config',
      cfg,
      '--root',
      ROOT,
    );
    assert.equal(r.status, 0, r.stderr);
    const boot = 'default.target local-fs-pre.target systemd-remount-fs.service';
    const initrdBoot = 'initrd.target initrd-switch-root.target';
    for (const [dir, wants] of [
      [normal, boot],
      [service, boot],
      [initrd, initrdBoot],
    ] as const) {
      const out = bootTransaction(dir, wants);
      assert.doesNotMatch(out, /ordering cycle/, out);
      assert.match(out, /keepsake\.(target|service)\/start/, 'our units are in the transaction');
    }
    // The control: keepsake before systemd-sysusers (which must precede local-fs-pre.target).
    const cyclic = path.join(tmp, 'cyclic');
    fs.cpSync(normal, cyclic, { recursive: true, verbatimSymlinks: true });
    fs.appendFileSync(
      path.join(cyclic, 'keepsake.target'),
      '[Unit]\nBefore=systemd-sysusers.service\n',
    );
    assert.match(bootTransaction(cyclic, boot), /ordering cycle/);
  });

  it('accepts the units of every real-world configuration', () => {
    for (const c of loadRealworld()) {
      const root = path.join(tmp, 'rw', c.name, 'root');
      writeAccounts(root, c.users, c.groups);
      const file = path.join(tmp, 'rw', c.name, 'config.json');
      fs.writeFileSync(file, JSON.stringify(c.config));
      const model = loadConfig(file, { root });
      for (const initrd of [false, true]) {
        const dir = path.join(tmp, 'rw', c.name, initrd ? 'initrd' : 'normal');
        writeOutputDir(dir, compileSystemd(model, { initrd, storeDevices: [] }).files, '{}\n');
        assertVerifies(path.join(dir, 'system'));
      }
    }
  });
});

interface Node {
  type: 'dir' | 'file' | 'link' | 'missing';
  mode: number;
  uid: number;
  gid: number;
  content?: string;
  link?: string;
}

function look(p: string): Node {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return { type: 'missing', mode: 0, uid: 0, gid: 0 };
  }
  const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (st.isSymbolicLink()) return { type: 'link', ...base, link: fs.readlinkSync(p) };
  if (st.isDirectory()) return { type: 'dir', ...base };
  return { type: 'file', ...base, content: fs.readFileSync(p, 'utf8') };
}

/** The rules as the prepare service carries them (and as tmpfiles.d/keepsake.conf has them). */
function prepareRules(out: string): string {
  const unit = fs.readFileSync(path.join(out, 'system', 'keepsake-prepare.service'), 'utf8');
  const data = [...unit.matchAll(/^StandardInputData=(.*)$/gm)].map((m) => m[1]).join('');
  const rules = Buffer.from(data, 'base64').toString();
  assert.equal(rules, fs.readFileSync(path.join(out, TMPFILES_FILE), 'utf8'));
  return rules;
}

function tmpfiles(root: string, rules: string) {
  const r = spawnSync('systemd-tmpfiles', ['--create', `--root=${root}`, '-'], {
    input: rules,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  // Not a word: no duplicate lines, no unsafe path transitions, no unknown specifiers.
  assert.equal(r.stderr, '');
}

describe('the prepare rules under the real systemd-tmpfiles', { skip: skipRoot }, () => {
  before(() => assert.equal(skipRoot, false, 'needs root and systemd-tmpfiles under CI'));

  for (const initrd of [false, true]) {
    it(`create what is missing and keep what exists${initrd ? ' (initrd: under /sysroot)' : ''}`, () => {
      const out = compile(path.join(tmp, `rules-${initrd}`), ...(initrd ? ['--initrd'] : []));
      const machine = path.join(tmp, `machine-${initrd}`);
      const top = initrd ? path.join(machine, 'sysroot') : machine;
      const at = (p: string) => path.join(top, p);
      // Existing store directories with owners and modes of their own.
      fs.mkdirSync(at('/persist/var/log'), { recursive: true, mode: 0o700 });
      fs.chmodSync(at('/persist/var/log'), 0o700);
      fs.chownSync(at('/persist/var/log'), 1000, 1000);
      fs.mkdirSync(at('/persist/var/lib/colord'), { recursive: true });
      fs.chmodSync(at('/persist/var/lib/colord'), 0o777);
      fs.mkdirSync(at('/state'), { recursive: true });
      fs.mkdirSync(at('/data store'), { recursive: true });
      // The booted system runs with systemd's id already in place; the initrd has none yet.
      const running = '00112233445566778899aabbccddeeff\n';
      if (!initrd) {
        fs.mkdirSync(at('/etc'), { recursive: true });
        fs.writeFileSync(at('/etc/machine-id'), running);
      }
      tmpfiles(machine, prepareRules(out));

      // Existing: kept, except what the configuration names (colord's owner and mode).
      assert.deepEqual(look(at('/persist/var/log')), {
        type: 'dir',
        mode: 0o700,
        uid: 1000,
        gid: 1000,
      });
      const users = 2000; // writeAccounts: other groups from 2000
      assert.deepEqual(look(at('/persist/var/lib/colord')), {
        type: 'dir',
        mode: 0o750,
        uid: 1000,
        gid: users,
      });
      // Missing: created with the configured owner and mode, parents as apply makes them.
      assert.deepEqual(look(at('/persist/home/jane')), {
        type: 'dir',
        mode: 0o700,
        uid: 1000,
        gid: 1000,
      });
      assert.deepEqual(look(at('/persist/home/jane/.gnupg')), {
        type: 'dir',
        mode: 0o700,
        uid: 1000,
        gid: 1000,
      });
      assert.deepEqual(look(at('/persist/home/jane/VirtualBox VMs')), {
        type: 'dir',
        mode: 0o755,
        uid: 1000,
        gid: 1000,
      });
      assert.deepEqual(look(at('/persist/srv/50%off done')), {
        type: 'dir',
        mode: 0o755,
        uid: 0,
        gid: 0,
      });
      assert.deepEqual(look(at('/persist/srv/back\\slash')), {
        type: 'dir',
        mode: 0o755,
        uid: 0,
        gid: 0,
      });
      assert.deepEqual(look(at('/data store/srv/ü')), { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
      assert.deepEqual(look(at('/persist/etc/ssh')), { type: 'dir', mode: 0o700, uid: 0, gid: 0 });
      // A missing stored file becomes an empty regular file before the bind.
      assert.deepEqual(look(at('/persist/home/jane/.bash_history')), {
        type: 'file',
        mode: 0o644,
        uid: 1000,
        gid: 1000,
        content: '',
      });
      // A host key is never made empty, nor its mount point (systemd makes that when the
      // key exists); the directory `ssh-keygen -A -f /persist` writes into is there.
      assert.equal(look(at('/persist/etc/ssh/ssh_host_ed25519_key')).type, 'missing');
      assert.equal(look(at('/etc/ssh/ssh_host_ed25519_key')).type, 'missing');
      // The initrd seeds the id for systemd to commit; the booted system keeps its own.
      assert.deepEqual(look(at('/persist/etc/machine-id')), {
        type: 'file',
        mode: 0o444,
        uid: 0,
        gid: 0,
        content: initrd ? 'uninitialized\n' : running,
      });
      // Mount points, at the target or inside the enclosing bind's store, and links.
      assert.equal(look(at('/var/log')).type, 'dir');
      assert.equal(look(at('/persist/var/log/journal')).type, 'dir');
      assert.equal(look(at('/var/log/journal')).type, 'missing');
      assert.deepEqual(look(at('/home/jane')), { type: 'dir', mode: 0o700, uid: 1000, gid: 1000 });
      assert.equal(look(at('/home/jane/.bash_history')).type, 'file');
      assert.equal(look(at('/etc/machine-id')).type, 'file');
      assert.equal(look(at('/srv/linked')).link, '/persist/srv/linked');
      assert.equal(
        look(at('/home/jane/.local/share/Steam')).link,
        '/persist/home/jane/.local/share/Steam',
      );
      assert.deepEqual(look(at('/persist/home/jane/.local/share/Steam')), {
        type: 'dir',
        mode: 0o755,
        uid: 1000,
        gid: 1000,
      });

      // The next boot changes nothing that exists (modes changed since, file contents), except
      // a mode the configuration names, which apply would correct too.
      fs.chmodSync(at('/persist/home/jane/VirtualBox VMs'), 0o750);
      fs.chmodSync(at('/persist/home/jane/.gnupg'), 0o750);
      fs.writeFileSync(at('/persist/home/jane/.bash_history'), 'ls\n');
      fs.writeFileSync(at('/persist/etc/machine-id'), '0123456789abcdef0123456789abcdef\n');
      tmpfiles(machine, prepareRules(out));
      assert.equal(look(at('/persist/home/jane/VirtualBox VMs')).mode, 0o750);
      assert.equal(look(at('/persist/home/jane/.gnupg')).mode, 0o700);
      assert.equal(look(at('/persist/home/jane/.bash_history')).content, 'ls\n');
      assert.equal(
        look(at('/persist/etc/machine-id')).content,
        '0123456789abcdef0123456789abcdef\n',
      );
      // In the initrd, only the drop-in for the booted system's machine-id commit is outside
      // /sysroot: in /run, which moves to the booted system.
      if (initrd) {
        assert.deepEqual(fs.readdirSync(machine).sort(), ['run', 'sysroot']);
        const dropIn = path.join(
          machine,
          'run/systemd/system/systemd-machine-id-commit.service.d/keepsake.conf',
        );
        assert.match(fs.readFileSync(dropIn, 'utf8'), /^ExecCondition=/m);
      }
    });
  }
});
