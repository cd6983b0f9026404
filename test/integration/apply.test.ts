// Real bind mounts in private mount namespaces: a boot is a fresh tmpfs root, a reboot is a
// new namespace over the same disks.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  type Inspected,
  requireNamespaces,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

function system(opts: ConstructorParameters<typeof TestSystem>[0]) {
  const s = new TestSystem(opts);
  systems.push(s);
  return s;
}

const JANE = { name: 'jane', uid: 1000 };

const CONFIG = `persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/log
      - { directory: /var/lib/colord, user: colord, group: colord, mode: "u=rwx,g=rx,o=" }
    files:
      - /etc/machine-id
      - { file: /etc/nix/id_rsa, parentDirectory: { mode: "u=rwx,g=,o=" } }
    users:
      jane:
        directories: [Downloads, { directory: .gnupg, mode: "0700" }, "VirtualBox VMs/"]
        files: [.bash_history]
`;

function applied(r: StepResult | undefined) {
  assert.ok(r && r.do === 'apply');
  return r;
}
function inspected(r: StepResult | undefined): Record<string, Inspected> {
  assert.ok(r && r.do === 'inspect');
  return r.paths;
}
function summary(stdout: string) {
  const last = stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as { ok: boolean; actions: number };
}

describe('apply in a booted namespace', { skip }, () => {
  it('first boot creates stores and targets, later boots find the data again', () => {
    const s = system({
      config: CONFIG,
      stores: ['/persist'],
      users: [JANE, { name: 'colord', uid: 990 }],
    });
    const [first, firstState, , , , again] = s.boot([
      { do: 'apply', args: ['--json'] },
      {
        do: 'inspect',
        paths: [
          '/var/log',
          '/persist/var/log',
          '/persist/var/lib/colord',
          '/var/lib/colord',
          '/etc/machine-id',
          '/persist/etc/machine-id',
          '/etc/nix',
          '/persist/etc/nix',
          '/etc/nix/id_rsa',
          '/home/jane',
          '/persist/home/jane',
          '/home/jane/.gnupg',
          '/persist/home/jane/.gnupg',
          '/home/jane/.bash_history',
          '/home/jane/VirtualBox VMs',
        ],
      },
      { do: 'write', path: '/var/log/syslog', content: 'kept\n' },
      { do: 'write', path: '/home/jane/.bash_history', content: 'ls\n' },
      { do: 'write', path: '/var/tmp/scratch', content: 'gone\n' },
      { do: 'apply', args: ['--json'] },
    ]);
    const a = applied(first);
    assert.equal(a.status, 0, a.stderr);
    assert.ok(summary(a.stdout).actions > 10);
    const p = inspected(firstState);
    assert.equal(p['/persist/var/log']!.mode, '0755');
    assert.deepEqual(
      [p['/persist/var/lib/colord']!.uid, p['/persist/var/lib/colord']!.mode],
      [990, '0750'],
    );
    // the target follows the store's owner and mode
    assert.deepEqual([p['/var/lib/colord']!.uid, p['/var/lib/colord']!.mode], [990, '0750']);
    // machine-id is seeded so systemd commits the id on first boot, and bind-mounted
    assert.equal(p['/etc/machine-id']!.content, 'uninitialized\n');
    assert.equal(p['/persist/etc/machine-id']!.mode, '0444');
    // parentDirectory applies to the parent keepsake creates
    assert.equal(p['/etc/nix']!.mode, '0700');
    assert.equal(p['/persist/etc/nix']!.mode, '0700');
    // a file missing from the store is linked, so the program creates it there
    assert.equal(p['/etc/nix/id_rsa']!.link, '/persist/etc/nix/id_rsa');
    assert.equal(p['/home/jane/.bash_history']!.link, '/persist/home/jane/.bash_history');
    // homes: the user's, 0700, on both sides; entries inside them the user's
    assert.deepEqual([p['/home/jane']!.uid, p['/home/jane']!.mode], [1000, '0700']);
    assert.deepEqual([p['/persist/home/jane']!.uid, p['/persist/home/jane']!.mode], [1000, '0700']);
    assert.deepEqual(
      [p['/persist/home/jane/.gnupg']!.uid, p['/persist/home/jane/.gnupg']!.mode],
      [1000, '0700'],
    );
    assert.equal(p['/home/jane/VirtualBox VMs']!.type, 'directory');
    // idempotent: the second apply plans nothing
    assert.equal(summary(applied(again).stdout).actions, 0);

    const [reboot, state, mounts] = s.boot([
      { do: 'apply', args: ['--json'] },
      {
        do: 'inspect',
        paths: [
          '/var/log/syslog',
          '/home/jane/.bash_history',
          '/var/tmp/scratch',
          '/persist/home/jane/.bash_history',
        ],
      },
      { do: 'mounts' },
    ]);
    assert.equal(applied(reboot).status, 0, applied(reboot).stderr);
    const q = inspected(state);
    assert.equal(q['/var/log/syslog']!.content, 'kept\n');
    assert.equal(q['/var/tmp/scratch']!.type, 'missing');
    // the history file now exists in the store, so this boot binds it instead of linking
    assert.equal(q['/home/jane/.bash_history']!.type, 'file');
    assert.equal(q['/home/jane/.bash_history']!.content, 'ls\n');
    assert.ok(mounts?.do === 'mounts');
    assert.ok(mounts.points.includes('/home/jane/.bash_history'));
    assert.ok(mounts.points.includes('/home/jane/VirtualBox VMs'));
    // hideMounts: recorded for file managers in utab under --root's /run
    // as mount(8) writes it: the file system, the mount point, the path inside, the bind source
    assert.match(
      mounts.utab,
      /^SRC=\/\S+ TARGET=\/var\/log ROOT=\/\S*\/var\/log BINDSRC=\/persist\/var\/log OPTS=x-gvfs-hide$/m,
    );
    const record = s.disk('/persist', '/.keepsake/generations/000001.json');
    assert.ok(fs.existsSync(record));
    // Beside it, its setup digest and size: the next boot's apply reads this, not the record.
    const [digest, size] = fs
      .readFileSync(s.disk('/persist', '/.keepsake/generations/000001.setup'), 'utf8')
      .trim()
      .split(' ');
    assert.match(digest!, /^[0-9a-f]{64}$/);
    assert.equal(Number(size), fs.statSync(record).size);
  });

  it('never rewrites owner or mode the config does not name, and fixes those it names', () => {
    const s = system({
      config:
        'persistence:\n  /persist:\n    directories: [/srv/a, { directory: /srv/b, mode: "0700" }]\n',
      stores: ['/persist'],
    });
    fs.mkdirSync(s.disk('/persist', '/srv/a'), { recursive: true, mode: 0o750 });
    fs.mkdirSync(s.disk('/persist', '/srv/b'), { recursive: true, mode: 0o755 });
    fs.chmodSync(s.disk('/persist', '/srv/a'), 0o750);
    fs.chmodSync(s.disk('/persist', '/srv/b'), 0o755);
    const [r] = s.boot([{ do: 'apply' }]);
    assert.equal(applied(r).status, 0, applied(r).stderr);
    assert.equal(fs.statSync(s.disk('/persist', '/srv/a')).mode & 0o7777, 0o750);
    assert.equal(fs.statSync(s.disk('/persist', '/srv/b')).mode & 0o7777, 0o700);
  });

  it('mounts nested entries parent first, and a same-store nested entry is only a warning', () => {
    const s = system({
      config: `persistence:
  /persist:
    directories: [/var/lib/private, /var/lib/private/scrutiny, /data]
  /state:
    directories: [/data/inner]
    files: [/data/inner.txt]
`,
      stores: ['/persist', '/state'],
    });
    fs.mkdirSync(s.disk('/state', '/data'), { recursive: true });
    fs.writeFileSync(s.disk('/state', '/data/inner.txt'), 'from state\n');
    const [r, , st, m] = s.boot([
      { do: 'apply' },
      { do: 'write', path: '/data/inner/x', content: 'x\n' },
      { do: 'inspect', paths: ['/data/inner.txt', '/data/inner/x'] },
      { do: 'mounts' },
    ]);
    const a = applied(r);
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stderr, /scrutiny/);
    const p = inspected(st);
    assert.equal(p['/data/inner.txt']!.content, 'from state\n');
    assert.ok(fs.existsSync(s.disk('/state', '/data/inner/x')));
    assert.ok(m?.do === 'mounts');
    assert.ok(m.points.indexOf('/data') < m.points.indexOf('/data/inner'));
    assert.ok(
      !m.points.includes('/var/lib/private/scrutiny'),
      'same-store nested entry needs no mount',
    );
    assert.ok(fs.statSync(s.disk('/persist', '/var/lib/private/scrutiny')).isDirectory());
  });

  it('refuses to hide existing data, reports it, and changes nothing', () => {
    const s = system({
      config: 'persistence:\n  /persist:\n    directories: [/var/log, /srv/www]\n',
      stores: ['/persist'],
    });
    const [, r, m, st] = s.boot([
      { do: 'write', path: '/srv/www/index.html', content: 'hello world\n' },
      { do: 'apply' },
      { do: 'mounts' },
      { do: 'inspect', paths: ['/persist/var', '/var/log'] },
    ]);
    const a = applied(r);
    assert.equal(a.status, 2);
    assert.match(a.stderr, /\/srv\/www already holds 1 file, 0 directories, 12 bytes;/);
    assert.match(a.stderr, /index\.html/);
    assert.ok(m?.do === 'mounts');
    assert.deepEqual(
      m.points.filter((p) => p !== '/persist'),
      [],
    );
    assert.equal(inspected(st)['/persist/var']!.type, 'missing');
  });

  it('refuses a symlink planted in a store path or a target path', () => {
    const s = system({
      config:
        'persistence:\n  /persist:\n    directories: [/var/lib/app]\n    users:\n      jane:\n        directories: [.ssh]\n',
      stores: ['/persist'],
      users: [JANE],
    });
    fs.mkdirSync(s.disk('/persist', '/var'), { recursive: true });
    fs.symlinkSync('/etc', s.disk('/persist', '/var/lib'));
    const [r, , r2, m] = s.boot([
      { do: 'apply' },
      { do: 'symlink', path: '/home/jane', to: '/etc' },
      { do: 'apply' },
      { do: 'mounts' },
    ]);
    assert.equal(applied(r).status, 2);
    assert.match(applied(r).stderr, /\/persist\/var\/lib is a symbolic link/);
    assert.match(applied(r2).stderr, /\/home\/jane is a symbolic link/);
    assert.ok(m?.do === 'mounts');
    assert.deepEqual(
      m.points.filter((p) => p !== '/persist'),
      [],
    );
  });

  it('keeps its record only where root alone can write it', () => {
    const s = system({
      config:
        'users:\n  jane:\n    persistence:\n      /persist/jane:\n        directories: [.ssh]\npersistence:\n  /persist:\n    directories: [/var/log]\n',
      stores: ['/persist', '/persist/jane'],
      users: [JANE],
    });
    fs.mkdirSync(s.disk('/persist/jane', '/.keepsake'));
    fs.chownSync(s.disk('/persist/jane', '/.keepsake'), 1000, 1000);
    const config = (dirs: string) =>
      `users:\n  jane:\n    persistence:\n      /persist/jane:\n        directories: [.ssh]\npersistence:\n  /persist:\n    directories: [${dirs}]\n`;
    const [r, , again, , , loose] = s.boot([
      { do: 'apply', args: ['--json'] },
      { do: 'set-config', text: config('/var/log, /srv') },
      { do: 'apply' },
      // A system store others may write to: no record there, and a word on how to fix it.
      { do: 'sh', cmd: 'chmod g+w "$ROOT/persist"' },
      { do: 'set-config', text: config('/var/log, /srv, /opt') },
      { do: 'apply' },
    ]);
    const a = applied(r);
    assert.equal(a.status, 0, a.stderr);
    const result = JSON.parse(a.stdout.trim().split('\n').at(-1)!) as {
      recorded: string[];
      notRecorded: string[];
    };
    assert.deepEqual(result.recorded, ['/persist']);
    assert.deepEqual(result.notRecorded, ['/persist/jane']);
    assert.deepEqual(fs.readdirSync(s.disk('/persist/jane', '/.keepsake')), []);
    // jane's own storage directory never holds root's records: by design, so no word of it.
    assert.equal(applied(again).status, 0, applied(again).stderr);
    assert.doesNotMatch(applied(again).stderr, /no generation written/);
    assert.equal(applied(loose).status, 0, applied(loose).stderr);
    assert.match(
      applied(loose).stderr,
      /no generation written in \/persist\/\.keepsake: someone other than root may write there[^\n]*\n {2}hint: chown root: \/persist/,
    );
  });

  it('lets only one keepsake act on a root at a time, and names the holder', () => {
    const s = system({
      config: 'persistence:\n  /persist:\n    directories: [/var/log]\n',
      stores: ['/persist'],
    });
    const [r] = s.boot([{ do: 'apply-twice-at-once', holdMs: 1500 }]);
    assert.ok(r?.do === 'apply-twice-at-once');
    assert.equal(r.first.status, 0, r.first.stderr);
    assert.equal(r.second.status, 2);
    assert.match(
      r.second.stderr,
      /another keepsake is working on .*: pid \d+ \(keepsake apply, since 20/,
    );
  });

  it('status reports drift with exit 1 and agreement with exit 0', () => {
    const s = system({
      config: 'persistence:\n  /persist:\n    directories: [/var/log]\n',
      stores: ['/persist'],
    });
    const [before, , afterApply] = s.boot([
      { do: 'apply', command: 'status' },
      { do: 'apply' },
      { do: 'apply', command: 'status', args: ['--json'] },
    ]);
    assert.equal(applied(before).status, 1);
    assert.equal(applied(afterApply).status, 0, applied(afterApply).stdout);
    const st = JSON.parse(applied(afterApply).stdout) as { entries: Array<{ live: string }> };
    assert.equal(st.entries[0]!.live, 'mounted');
  });
});
