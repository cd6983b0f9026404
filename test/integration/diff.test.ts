// `keepsake diff` on a booted test system (a private mount namespace, a tmpfs root, a store
// on its own "disk", real bind mounts made by `keepsake apply`): the report holds exactly the
// undeclared paths, with exact sizes, and nothing that is persisted, ignored, mounted from
// elsewhere or pseudo (another tmpfs is ephemeral, and scanned too); escaped state is found; names with spaces, newlines and bytes that are
// not UTF-8 are reported and counted; symlink loops are harmless; an unreadable directory is
// reported when the scan runs as an unprivileged user.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI, requireNamespaces, type StepResult, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();

const CONFIG = `persistence:
  /persist:
    directories:
      - /var/log
      - /var/lib/unbound
      - /srv/data
    files:
      - /etc/machine-id
      - /etc/app.conf
      - /etc/linked.conf
    ignore:
      - "*.pid"
    users:
      jane:
        directories: [.ssh]
        ignore: [/Downloads/]
`;
/** What diff reads: one directory more, declared since the apply. */
const DIFF_CONFIG = CONFIG.replace(
  '      - /srv/data\n',
  '      - /srv/data\n      - /srv/later\n',
);
const PASSWD = 'root:x:0:0::/root:/bin/sh\njane:x:1000:1000::/home/jane:/bin/sh\n';
const GROUP = 'root:x:0:\njane:x:1000:\n';

// Everything is written after the apply; sizes in the comments.
const BUILD = String.raw`set -e
cd "$ROOT"
printf 'abcdefghij' > etc/hostname.local
printf 'spcs' > 'etc/a b.conf'
printf 'seven!!' > "etc/$(printf 'new\nline')"
printf 'ninebytes' > "etc/$(printf '\377\376')"
mkdir -p opt/app/lib
head -c 100 /dev/zero > opt/app/a
head -c 200 /dev/zero > opt/app/b
printf 'hello' > opt/app/lib/c
mkdir -p 'srv/VirtualBox VMs' "srv/$(printf 'bad\377dir')" srv/loop srv/locked
head -c 1000 /dev/zero > 'srv/VirtualBox VMs/disk.vdi'
printf '12345678901' > "srv/$(printf 'bad\377dir')/inner"
ln -s b srv/loop/a
ln -s a srv/loop/b
ln -s . srv/loop/self
ln -s /srv/loop srv/loop/up
head -c 50 /dev/zero > srv/locked/secret
chmod 000 srv/locked
printf '123' > srv/run.pid
mkdir -p tmp/junk var/cache/apt home/jane/Downloads home/jane/.cache
head -c 70 /dev/zero > tmp/junk/x
head -c 80 /dev/zero > var/cache/apt/pkg
head -c 300 /dev/zero > home/jane/Downloads/big.iso
head -c 30 /dev/zero > home/jane/.cache/thumb
printf 'notes' > home/jane/notes.txt
printf 'key' > home/jane/.ssh/id
printf 'log' > var/log/syslog
printf 'data' > srv/data/d
mkdir srv/later
printf 'later!' > srv/later/x
mkdir -p mnt/scratch "$ROOT.scratch"
printf 'x' > "$ROOT.scratch/hidden"
mount -n --bind "$ROOT.scratch" mnt/scratch
mkdir -p media/ram
mount -n -t tmpfs tmpfs media/ram
printf 'ramdisk!' > media/ram/note
umount -n etc/app.conf
printf '%055d' 0 > etc/app.conf
rm etc/linked.conf
printf '%033d' 0 > etc/linked.conf
umount -n var/lib/unbound
printf '%044d' 0 > var/lib/unbound/data
chmod 711 "$(dirname "$ROOT")"
`;

const diffCmd = (args: string, as = '') =>
  `${as}${JSON.stringify(process.execPath)} ${CLI} diff --root "$ROOT" --config "$ROOT/etc/keepsake.yaml" --json --depth 10 --sort path ${args}`;

type Rec = Record<string, unknown> & { type: string };
const records = (r: StepResult | undefined): { status: number; recs: Rec[] } => {
  assert.ok(r && r.do === 'sh', 'a shell step');
  assert.equal(r.stderr.replace(/.*keepsake: .*mount.*\n/g, ''), '', 'nothing on stderr');
  return {
    status: r.status,
    recs: r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec),
  };
};
const ofType = (recs: Rec[], type: string) => recs.filter((r) => r.type === type);
/** path → [kind, files, directories, bytes, whole] of every reported path. */
const table = (recs: Rec[]) =>
  Object.fromEntries(
    ofType(recs, 'path').map((r) => [r.path, [r.kind, r.files, r.directories, r.bytes, r.whole]]),
  );

describe('keepsake diff on a booted system', { skip }, () => {
  let results: StepResult[] = [];
  let system: TestSystem;
  before(() => {
    system = new TestSystem({
      config: CONFIG,
      stores: ['/persist'],
      accounts: { passwd: PASSWD, group: GROUP },
    });
    results = system.boot([
      { do: 'write', path: '/persist/etc/app.conf', content: 'stored\n' },
      { do: 'apply' },
      { do: 'write', path: '/etc/keepsake.yaml', content: DIFF_CONFIG },
      { do: 'sh', cmd: BUILD },
      { do: 'sh', cmd: diffCmd('') },
      { do: 'sh', cmd: diffCmd('--all') },
      { do: 'sh', cmd: diffCmd('', 'setpriv --reuid=65534 --regid=65534 --clear-groups ') },
      { do: 'sh', cmd: diffCmd('/srv /opt/app --depth 1') },
      { do: 'sh', cmd: `KEEPSAKE_SCAN=node ${diffCmd('')}` },
      // On a terminal: a tree, and progress on stderr (script(1) gives both one terminal).
      {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/opt/many" && cd "$ROOT/opt/many" && seq 600 | xargs mkdir && NO_COLOR=1 script -qec ${JSON.stringify(diffCmd('/opt').replace(' --json', ''))} /dev/null`,
      },
      {
        do: 'sh',
        cmd: `${JSON.stringify(process.execPath)} ${CLI} ignore '/srv/VirtualBox VMs/' --root "$ROOT" --config "$ROOT/etc/keepsake.yaml" && ${JSON.stringify(process.execPath)} ${CLI} ignore /home/jane/notes.txt --user jane --root "$ROOT" --config "$ROOT/etc/keepsake.yaml" && ${diffCmd('/srv /home --depth 1')}`,
      },
      // The same diff read by the plain reader (src/cli/fast-diff.ts) and by the full command
      // line (a trailing `--`, which only the full one reads), as JSON and as text.
      { do: 'sh', cmd: diffCmd('') },
      { do: 'sh', cmd: diffCmd('--') },
      { do: 'sh', cmd: diffCmd('').replace(' --json', '') },
      { do: 'sh', cmd: diffCmd('--').replace(' --json', '') },
      // Without reading directories ahead on a second thread.
      { do: 'sh', cmd: `KEEPSAKE_SCAN=one-thread ${diffCmd('')}` },
    ]);
  });
  after(() => system?.cleanup());

  it('says the same through the plain reader as through the full command line', () => {
    for (const [fast, full] of [
      [results[11], results[12]],
      [results[13], results[14]],
    ]) {
      assert.ok(fast?.do === 'sh' && full?.do === 'sh');
      assert.equal(fast.status, 1, fast.stderr);
      assert.ok(fast.stdout.split('\n').length > 20, fast.stdout);
      assert.equal(fast.stdout, full.stdout);
      assert.equal(fast.status, full.status);
    }
  });

  it('sets the system up', () => {
    const applied = results[1];
    assert.ok(applied?.do === 'apply');
    assert.equal(applied.status, 0, applied.stderr);
    const built = results[3];
    assert.ok(built?.do === 'sh');
    assert.equal(built.status, 0, built.stderr);
  });

  it('reports exactly the undeclared paths, with exact sizes', () => {
    const { status, recs } = records(results[4]);
    assert.equal(status, 1, 'escaped state makes the exit status 1');
    assert.deepEqual(table(recs), {
      '/': ['directory', 18, 7, 1413 + PASSWD.length + GROUP.length + DIFF_CONFIG.length, false],
      '/etc': ['directory', 7, 0, 30 + PASSWD.length + GROUP.length + DIFF_CONFIG.length, false],
      '/etc/a b.conf': ['file', 1, 0, 4, true],
      '/etc/group': ['file', 1, 0, GROUP.length, true],
      '/etc/hostname.local': ['file', 1, 0, 10, true],
      '/etc/keepsake.yaml': ['file', 1, 0, DIFF_CONFIG.length, true],
      '/etc/new\nline': ['file', 1, 0, 7, true],
      '/etc/passwd': ['file', 1, 0, PASSWD.length, true],
      '/etc/\\xff\\xfe': ['file', 1, 0, 9, true],
      '/home': ['directory', 1, 0, 5, false],
      '/home/jane': ['directory', 1, 0, 5, false],
      '/home/jane/notes.txt': ['file', 1, 0, 5, true],
      // Another tmpfs: ephemeral too, so scanned as a root of its own.
      '/media/ram': ['directory', 1, 0, 8, true],
      '/media/ram/note': ['file', 1, 0, 8, true],
      '/opt': ['directory', 3, 2, 305, true],
      '/srv': ['directory', 7, 4, 1073, false],
      '/srv/VirtualBox VMs': ['directory', 1, 0, 1000, true],
      '/srv/bad\\xffdir': ['directory', 1, 0, 11, true],
      '/srv/locked': ['directory', 1, 0, 50, true],
      '/srv/loop': ['directory', 4, 0, 12, true],
    });
    const bad = ofType(recs, 'path').find((r) => r.path === '/etc/\\xff\\xfe');
    assert.equal(
      Buffer.from(String(bad?.pathBase64), 'base64').toString('latin1'),
      '/etc/\xff\xfe',
    );
    assert.equal(bad?.add, "keepsake add $'/etc/\\xff\\xfe'");
    const dir = ofType(recs, 'path').find((r) => r.path === '/srv/bad\\xffdir');
    assert.equal(dir?.add, "keepsake add $'/srv/bad\\xffdir'");
    const spaced = ofType(recs, 'path').find((r) => r.path === '/srv/VirtualBox VMs');
    assert.equal(spaced?.add, "keepsake add '/srv/VirtualBox VMs'");
    const home = ofType(recs, 'path').find((r) => r.path === '/home/jane/notes.txt');
    assert.equal(home?.add, 'keepsake add /home/jane/notes.txt --user jane');
    assert.ok(
      ofType(recs, 'path').every((r) => r.changed === r.files),
      'all written this boot',
    );
  });

  it('reports escaped state: a bind that is gone, a link replaced by a file, an entry not set up', () => {
    const { recs } = records(results[4]);
    assert.deepEqual(
      ofType(recs, 'escaped').map((e) => [e.target, e.reason, e.found, e.files, e.bytes]),
      [
        ['/etc/app.conf', 'not-mounted', 'file', 1, 55],
        ['/var/lib/unbound', 'not-mounted', 'directory', 1, 44],
        ['/etc/linked.conf', 'link-replaced', 'file', 1, 33],
        ['/srv/later', 'not-applied', 'directory', 1, 6],
      ],
    );
    assert.match(String(ofType(recs, 'escaped')[0]?.fix), /^keepsake apply --adopt/);
  });

  it('does not enter another file system, and says so', () => {
    const { recs } = records(results[4]);
    // A bind from the disk this machine's temp directory lives on: not ephemeral, not entered.
    const skipped = ofType(recs, 'skipped');
    assert.deepEqual(
      skipped.map((r) => r.path),
      ['/mnt/scratch'],
    );
    assert.notEqual(skipped[0]?.fsType, 'tmpfs');
    assert.deepEqual(ofType(recs, 'error'), []);
    const summary = ofType(recs, 'summary')[0];
    assert.equal(summary?.escaped, 4);
    assert.equal(summary?.backend, 'native');
  });

  it('--all shows what the ignore rules leave out, marked with the rule', () => {
    const { recs } = records(results[5]);
    const ignored = Object.fromEntries(
      ofType(recs, 'path')
        .filter((r) => r.ignored !== undefined)
        .map((r) => [r.path, [r.bytes, r.ignored]]),
    );
    assert.deepEqual(Object.keys(ignored).sort(), [
      '/home/jane/.cache',
      '/home/jane/Downloads',
      '/srv/run.pid',
      '/tmp',
      '/var/cache',
    ]);
    assert.equal(ignored['/tmp']?.[1], 'built-in');
    assert.match(
      String(ignored['/srv/run.pid']?.[1]),
      /^persistence."\/persist".ignore\[0\] \(.*keepsake.yaml:13\)$/,
    );
    assert.match(String(ignored['/home/jane/Downloads']?.[1]), /users.jane.ignore\[0\]/);
    assert.deepEqual(ofType(recs, 'summary')[0]?.ignored, { files: 5, bytes: 483 });
  });

  it('as an unprivileged user, unreadable directories are errors and are not counted', () => {
    const { recs } = records(results[6]);
    assert.deepEqual(
      ofType(recs, 'error').map((e) => [e.path, e.reason]),
      [
        ['/home/jane', 'permission denied (EACCES)'],
        ['/srv/locked', 'permission denied (EACCES)'],
      ],
    );
    const t = table(recs);
    assert.deepEqual(t['/srv/locked'], ['directory', 0, 0, 0, false]);
    assert.equal(t['/home/jane/notes.txt'], undefined);
    assert.equal(ofType(recs, 'escaped').length, 4);
  });

  it('scans only the paths given, to the depth given', () => {
    const { recs } = records(results[7]);
    assert.deepEqual(
      ofType(recs, 'path').map((r) => [r.depth, r.path, r.bytes]),
      [
        [0, '/srv', 1073],
        [1, '/srv/VirtualBox VMs', 1000],
        [1, '/srv/bad\\xffdir', 11],
        [1, '/srv/locked', 50],
        [1, '/srv/loop', 12],
        [0, '/opt/app', 305],
        [1, '/opt/app/a', 100],
        [1, '/opt/app/b', 200],
        [1, '/opt/app/lib', 5],
      ],
    );
    assert.deepEqual(
      ofType(recs, 'escaped').map((e) => e.target),
      ['/srv/later'],
      'escaped state of the entries inside the paths scanned',
    );
  });

  it("gives the same report with Node's readdir and lstat instead of the addon", () => {
    const native = records(results[4]).recs;
    const { status, recs } = records(results[8]);
    assert.equal(status, 1);
    assert.equal(ofType(recs, 'summary')[0]?.backend, 'node');
    assert.deepEqual(table(recs), table(native));
    assert.deepEqual(ofType(recs, 'escaped'), ofType(native, 'escaped'));
    const pathsOf = (rs: Rec[]) => ofType(rs, 'path').map((r) => [r.path, r.pathBase64]);
    assert.deepEqual(pathsOf(recs), pathsOf(native));
  });

  it('gives the same report without reading directories ahead', () => {
    const [ahead, one] = [results[11], results[15]];
    assert.ok(ahead?.do === 'sh' && one?.do === 'sh');
    assert.equal(one.status, 1, one.stderr);
    assert.ok(one.stdout.split('\n').length > 20, one.stdout);
    assert.equal(one.stdout, ahead.stdout);
  });

  it('keepsake ignore adds patterns to the configuration, and diff leaves them out', () => {
    const r = results[10];
    assert.ok(r?.do === 'sh');
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    const file = `${system.dir}/root/etc/keepsake.yaml`;
    assert.deepEqual(lines.slice(0, 2), [
      `added "/srv/VirtualBox VMs/" to persistence."/persist".ignore in ${file}`,
      `added "/notes.txt" to persistence."/persist".users.jane.ignore in ${file}`,
    ]);
    const recs = lines.slice(2).map((l) => JSON.parse(l) as Rec);
    assert.deepEqual(
      ofType(recs, 'path').map((p) => [p.path, p.bytes]),
      [
        ['/srv', 73],
        ['/srv/bad\\xffdir', 11],
        ['/srv/locked', 50],
        ['/srv/loop', 12],
        ['/home', 0],
      ],
    );
  });

  it('on a terminal: an indented tree, and a progress line on stderr that is cleared', () => {
    const r = results[9];
    assert.ok(r?.do === 'sh');
    assert.equal(r.status, 0, r.stdout);
    // Progress: a count and the directory being read, each line overwriting the last, and
    // erased before the report (stdout and stderr share script's terminal).
    const ERASE = '\r\x1b[K';
    const progress = r.stdout.split(ERASE).slice(1);
    assert.ok(progress.length >= 2, `no progress line:\n${JSON.stringify(r.stdout)}`);
    // Cut to the terminal's width (script's has none, so the narrowest: 20 characters).
    assert.match(progress[0] ?? '', /^\d+ entries {2}\/opt/);
    // The tree: the scanned path, then its children indented.
    const report = (progress.at(-1) ?? '').split('\r\n');
    assert.match(report[0] ?? '', /^ +305 B \* \/opt\/ {2}3 files, 603 directories/);
    assert.ok(
      report.some((l) => /^ +305 B \* {3}app\/ .*→ keepsake add \/opt\/app$/.test(l)),
      `no indented child:\n${report.join('\n')}`,
    );
  });
});
