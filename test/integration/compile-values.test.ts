// What compiled units and the service unit do with values and at boot, against the real tools
// on this machine: the checks the units run (under the real /bin/sh, against this machine's
// mount table), and hostile values for every option that reaches a unit file, read back by
// `systemd-analyze verify`. Nothing here mounts anything.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TMPFILES_FILE } from '../../src/compile/units.js';
import { skipUnlessCI } from '../helpers/ns-run.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const LAUNCHER = path.join(REPO, 'bin/keepsake.js');
const skipTools = skipUnlessCI(
  spawnSync('systemd-analyze', ['--version']).status === 0
    ? null
    : 'systemd-analyze is not installed',
);

const tmp = fs.mkdtempSync(path.join(tmpdir(), 'keepsake-values-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ROOT = path.join(tmp, 'root');
const CONFIG = path.join(ROOT, 'persist', 'keepsake.yaml');

before(() => {
  fs.mkdirSync(path.dirname(CONFIG), { recursive: true });
  fs.writeFileSync(
    CONFIG,
    `persistence:
  /persist:
    directories: [/var/log]
    files: [/etc/machine-id]
  /persist/home/jane:
    directories: [/home/jane/.ssh]
  /data store:
    directories: [/srv/ü]
`,
  );
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: 'utf8' });
}

function compile(out: string, ...extra: string[]) {
  const r = cli('compile', '--systemd', out, '--config', CONFIG, '--root', ROOT, ...extra);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return out;
}

/** `systemd-analyze verify` without systemd as PID 1 (see compile-verify.test.ts). */
function verify(files: string[], unitPath: string[]) {
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', ...files], {
    encoding: 'utf8',
    env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitPath.join(':')}:` },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A command line as systemd splits and unescapes what unitWord wrote (quotes, `\\`, `\"`,
 *  `\xNN`, `%%`, `$$`). */
function execArgv(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    const raw = m[1] ?? m[2] ?? '';
    const bytes = raw
      .replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/\\(["\\])/g, '$1');
    out.push(bytes.replaceAll('%%', '%').replaceAll('$$', '$'));
  }
  return out;
}

/** The value of `key` in a generated unit file (the first one). */
const setting = (file: string, key: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}=`))
    ?.slice(key.length + 1) ?? '';

describe('the checks compiled units run at boot, under the real /bin/sh', () => {
  const out = () => path.join(compile(path.join(tmp, 'checks')), 'system');
  let system = '';
  before(() => {
    system = out();
  });
  const run = (line: string, replace: Record<string, string> = {}) => {
    const argv = execArgv(line).map((a) => replace[a] ?? a);
    return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  };

  it('fails a bind whose target holds data, naming the entry, and passes an empty one', () => {
    const check = setting(path.join(system, 'keepsake-check-var-log.service'), 'ExecStart');
    const t = path.join(tmp, 'vacant');
    const cases: [string, () => void, number, RegExp?][] = [
      ['missing', () => {}, 0],
      ['empty directory', () => fs.mkdirSync(t), 0],
      [
        'a file inside',
        () => fs.mkdirSync(path.join(t, 'd'), { recursive: true }),
        1,
        /the directory is not empty/,
      ],
      [
        'only a dot file',
        () => {
          fs.mkdirSync(t);
          fs.writeFileSync(path.join(t, '.hidden'), '');
        },
        1,
        /the directory is not empty/,
      ],
      ['an empty file', () => fs.writeFileSync(t, ''), 0],
      ['a file with data', () => fs.writeFileSync(t, 'data'), 1, /the file is not empty/],
      ['a link', () => fs.symlinkSync('/', t), 1, /symbolic link/],
      ['a dangling link', () => fs.symlinkSync('/nonexistent', t), 1, /symbolic link/],
    ];
    for (const [name, make, status, says] of cases) {
      fs.rmSync(t, { recursive: true, force: true });
      make();
      const r = run(check, { '/var/log': t });
      assert.equal(r.status, status, `${name}: ${r.stderr}`);
      if (says) {
        assert.match(r.stderr, says, name);
        assert.match(r.stderr, /already holds data/);
        assert.match(r.stderr, /systemctl start var-log\.mount/);
      } else assert.equal(r.stderr, '', name);
    }
  });

  it('fails the prepare service when a store lies on the root, not on a file system of its own', () => {
    const pre = setting(path.join(system, 'keepsake-prepare.service'), 'ExecStartPre');
    const stores = execArgv(pre).slice(6);
    assert.deepEqual(stores.filter((_, i) => i % 2 === 1).sort(), [
      '/data store',
      '/persist',
      '/persist/home/jane',
    ]);
    assert.ok(stores.includes('/data\\040store'), 'as mountinfo writes it');
    // This machine's mount table: /proc is a mount point, a path that does not exist lies on /.
    const on = (store: string, root = '/') =>
      run(pre, {
        '/': root,
        '/persist': store,
        '/persist/home/jane': store,
        '/data\\040store': store,
      });
    assert.equal(on('/proc/sys').status, 0, on('/proc/sys').stderr);
    const r = on('/keepsake-no-such-store');
    assert.equal(r.status, 1);
    // Named as the configuration writes it (the first store checked).
    assert.match(r.stderr, /the store \/data store is not a mounted file system/);
    assert.match(r.stderr, /systemctl start keepsake\.target/);
    // The root given (the initrd's /sysroot) does not count as the store's file system.
    assert.equal(on('/proc/keepsake-none', '/proc').status, 1);
  });

  it("lets systemd-machine-id-commit run only when systemd's transient tmpfs is on top", () => {
    // Only units that bind the stored id (the initrd's) come with the drop-in, which their
    // prepare service writes.
    assert.equal(fs.existsSync(path.join(system, 'systemd-machine-id-commit.service.d')), false);
    const initrd = compile(path.join(tmp, 'checks-initrd'), '--initrd');
    const line = fs
      .readFileSync(path.join(initrd, TMPFILES_FILE), 'utf8')
      .split('\n')
      .find((l) => l.includes('systemd-machine-id-commit'));
    const dropIn = path.join(tmp, 'commit-drop-in.conf');
    fs.writeFileSync(dropIn, Buffer.from(line!.split(' ').at(-1)!, 'base64'));
    const cond = setting(dropIn, 'ExecCondition');
    const mounts = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => ({ at: l.split(' ')[4]!, type: l.split(' - ')[1]!.split(' ')[0]! }));
    const last = (at: string) => mounts.filter((m) => m.at === at).at(-1)?.type;
    const tmpfs = mounts.find((m) => m.type === 'tmpfs' && last(m.at) === 'tmpfs');
    const other = mounts.find((m) => last(m.at) !== 'tmpfs');
    assert.ok(tmpfs && other, 'this machine has a tmpfs and another file system mounted');
    assert.equal(run(cond, { '/etc/machine-id': tmpfs.at }).status, 0, tmpfs.at);
    assert.equal(run(cond, { '/etc/machine-id': other.at }).status, 1, other.at);
    assert.equal(run(cond).status, 1, 'nothing mounted at /etc/machine-id here');
  });
});

describe('--store-device values that reach persist.mount', { skip: skipTools }, () => {
  it('refuses what a unit file cannot hold with exit 2, writing nothing', () => {
    for (const bad of [
      '/persist=/dev/vdb\nWants=evil-injected.service',
      '/persist=/dev/vdb\nOptions=suid,dev',
      '/persist=/dev/disk/by-label/x\\',
      '/persist=/dev/disk/by-label/x ',
    ]) {
      const out = path.join(tmp, 'injected');
      const r = cli(
        'compile',
        '--systemd',
        out,
        '--config',
        CONFIG,
        '--root',
        ROOT,
        '--store-device',
        bad,
      );
      assert.equal(r.status, 2, `${JSON.stringify(bad)}: ${r.stderr}`);
      assert.match(r.stderr, /cannot be written in a unit file/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(fs.existsSync(out), false);
    }
  });

  it('writes =, %, spaces and quotes so that systemd reads them back as given', () => {
    for (const [device, label] of [
      ['/dev/disk/by-label/a=b', 'eq'],
      ['/dev/disk/by-label/50%off', 'pct'],
      ['/dev/disk/by-label/my disk', 'space'],
      ['/dev/disk/by-label/"q\'s"', 'quote'],
    ] as const) {
      const out = path.join(
        compile(path.join(tmp, `device-${label}`), '--store-device', `/persist=${device}:ext4`),
        'system',
      );
      const unit = path.join(out, 'persist.mount');
      // Verified clean: not a word about the unit (an unknown or broken line would be one).
      const v = verify([unit], [out]);
      assert.equal(v.status, 0, v.out);
      assert.doesNotMatch(v.out, /persist\.mount/, v.out);
      const text = fs.readFileSync(unit, 'utf8');
      assert.equal(setting(unit, 'What'), device.replaceAll('%', '%%'));
      assert.equal(text.match(/^What=/gm)?.length, 1);
      assert.doesNotMatch(text, /^(Wants|Options)=/m);
    }
  });
});

describe('install-service values that reach keepsake.service', { skip: skipTools }, () => {
  it('writes --bin with newline, =, %, a trailing backslash, spaces and quotes as one word systemd reads back', () => {
    const cfg = CONFIG;
    const bins = [
      '/opt/new\nline/keepsake',
      '/opt/k=v/keepsake',
      '/opt/50%off/keepsake',
      '/opt/keepsake\\',
      '/opt/my dir/keepsake',
      '/opt/"q\'s"/keepsake',
      '/opt/$HOME/keepsake',
    ];
    for (const [i, bin] of bins.entries()) {
      const units = path.join(tmp, `hostile-bin-${i}`);
      const r = cli(
        'install-service',
        '--unit-dir',
        units,
        '--bin',
        bin,
        '--config',
        cfg,
        '--root',
        ROOT,
      );
      assert.equal(r.status, 0, r.stderr);
      const unit = path.join(units, 'keepsake.service');
      const text = fs.readFileSync(unit, 'utf8');
      // One ExecStart= and one ExecStop= line: nothing injected, nothing joined.
      assert.equal(text.match(/^ExecStart=/gm)?.length, 1, text);
      assert.equal(text.match(/^ExecStop=/gm)?.length, 1, text);
      // (The program's path keeps a `$` as it is: systemd expands variables in arguments only.)
      const argv = execArgv(setting(unit, 'ExecStart').replaceAll('$', '$$$$'));
      assert.deepEqual(argv.slice(0, 2), [bin, 'apply'], text);
      // systemd parses the command as that very path: it is missing, and said so by name.
      const v = verify([unit], [units]);
      assert.notEqual(v.status, 0, v.out);
      assert.ok(v.out.includes(bin), `${JSON.stringify(bin)} not in:\n${v.out}`);
    }
  });
});
