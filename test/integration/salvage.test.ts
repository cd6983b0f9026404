// `keepsake salvage` across real "boots" (private mount namespaces, each with a fresh tmpfs
// root over the same store disk): what the first boot wrote and did not declare is salvaged
// at its end (not what another file system mounted in it holds), with owners, modes, times
// and extended attributes; the next boot lists exactly that, restores a file as it was, and
// refuses to overwrite; older salvages expire; a salvage killed after any file reads as
// partial; a file written all through it is copied whole or left out; one out of time stops
// and says so; a link planted in the salvage path is refused; a full store ends in a partial
// record and exit 1; a store that is not mounted is refused.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CLI, requireNamespaces, type StepResult, sh, TestSystem } from '../helpers/boot.js';
import { validate } from '../helpers/json-schema.js';

const skip = requireNamespaces();

const PASSWD = 'root:x:0:0::/root:/bin/sh\njane:x:1000:1000::/home/jane:/bin/sh\n';
const GROUP = 'root:x:0:\njane:x:1000:\n';
const CONFIG = `persistence:
  /persist:
    directories: [/var/log]
    files: [/etc/declared.conf]
    users:
      jane:
        directories: [.ssh]
salvage:
  enable: true
  maxBytes: 10K
  keepBoots: 2
  ignore: ["*.skipme"]
`;

const node = JSON.stringify(process.execPath);
const ks = (args: string, env = '') =>
  `${env}${node} ${CLI} ${args} --root "$ROOT" --config "$ROOT/../keepsake.yaml"`;

/** A boot of its own: its id and start, as /proc would give them. */
const bootIs = (n: number, startSec: number) =>
  `mkdir -p "$ROOT/proc/sys/kernel/random" && echo 0000000${n}-aaaa-bbbb-cccc-dddddddddddd > "$ROOT/proc/sys/kernel/random/boot_id" && echo "btime ${startSec}" > "$ROOT/proc/stat"`;

const BUILD = `set -e
cd "$ROOT"
mkdir -p etc/app home/jane/.config/tool var/log tmp
printf 'local' > etc/app/local.conf && chmod 640 etc/app/local.conf
ln -s local.conf etc/app/current
printf 'my notes' > home/jane/notes.txt && chown 1000:1000 home/jane/notes.txt && chmod 600 home/jane/notes.txt
python3 -c 'import os; os.setxattr("home/jane/notes.txt", "user.tag", b"keep")' 2>/dev/null || true
printf 'dark=1' > home/jane/.config/tool/settings && chown -R 1000:1000 home/jane/.config && chmod 750 home/jane/.config
printf 'declared' > etc/declared.conf
printf 'logged' > var/log/x.log
head -c 20000 /dev/zero > etc/app/big.bin
printf 'junk' > etc/app/junk.skipme
printf 'temp' > tmp/t
printf 'old' > etc/old.conf && touch -d 2001-01-01 etc/old.conf
printf 'key' > home/jane/.ssh/id
ln -s /etc/app/local.conf home/jane/evil
mkdir -p "$ROOT.foreign" srv/foreign && printf 'elsewhere' > "$ROOT.foreign/f"
mount -n --bind "$ROOT.foreign" srv/foreign
`;

/** What boot 1 leaves undeclared and changed, and within the budget. */
const KEPT = [
  '/etc/app/current',
  '/etc/app/local.conf',
  '/etc/group',
  '/etc/passwd',
  '/home/jane/.config/tool/settings',
  '/home/jane/evil',
  '/home/jane/notes.txt',
];

type Json = Record<string, unknown>;
/** The record types keepsake publishes (`keepsake schema --records`). */
const SCHEMAS = (() => {
  const r = spawnSync(process.execPath, [CLI, 'schema', '--records'], { encoding: 'utf8' });
  const doc = JSON.parse(r.stdout) as { records: { record: string; schema: object }[] };
  return new Map(doc.records.map((t) => [t.record, t.schema]));
})();
/** The last line of a command's output: a record of a published type, checked against it. */
function json(r: StepResult | undefined): Json {
  const s = sh(r);
  const line = s.stdout.trim().split('\n').pop() ?? '';
  let value: Json;
  try {
    value = JSON.parse(line) as Json;
  } catch {
    throw new Error(`no JSON (status ${s.status}):\n${s.stdout}\n${s.stderr}`);
  }
  const schema = SCHEMAS.get(String(value.record));
  assert.ok(schema, `record ${String(value.record)} is not published`);
  assert.deepEqual(validate(schema as never, value, true), [], line.slice(0, 400));
  return value;
}
type Rec = {
  boot: string;
  complete: boolean;
  finishedAt: string | null;
  bytes: number;
  files: { path: string; size: number; uid: number; gid: number; mode: number; type: string }[];
  skipped: { path: string; size: number; reason: string }[];
};

describe('keepsake salvage across boots', { skip }, () => {
  let system: TestSystem;
  let first: StepResult[] = [];
  let second: StepResult[] = [];
  let third: StepResult[] = [];
  const t0 = Math.floor(Date.now() / 1000) - 100;
  before(() => {
    system = new TestSystem({
      config: CONFIG,
      stores: ['/persist'],
      accounts: { passwd: PASSWD, group: GROUP },
    });
    first = system.boot([
      { do: 'sh', cmd: bootIs(1, t0) },
      { do: 'write', path: '/persist/etc/declared.conf', content: 'stored' },
      { do: 'apply' },
      { do: 'sh', cmd: BUILD },
      { do: 'sh', cmd: ks('salvage run --json') },
      {
        do: 'sh',
        cmd: `cd "$ROOT/persist/.keepsake/salvage" && stat -c '%n %a %u:%g' . */files/home/jane/notes.txt */files/home/jane/.config */files/etc/app/local.conf && cat */salvage.json && readlink */files/home/jane/evil`,
      },
    ]);
    second = system.boot([
      { do: 'sh', cmd: bootIs(2, t0 + 40) },
      { do: 'apply' },
      { do: 'sh', cmd: ks('salvage list --json') },
      { do: 'sh', cmd: ks('salvage list 20') },
      {
        do: 'sh',
        cmd: `test ! -e "$ROOT/home/jane/notes.txt" && ${ks('salvage restore /home/jane/notes.txt')}`,
      },
      {
        do: 'sh',
        cmd: `cd "$ROOT/home/jane" && stat -c '%a %u:%g' notes.txt && cat notes.txt && echo && (python3 -c 'import os; print(os.getxattr("notes.txt", "user.tag").decode())' 2>/dev/null || echo no-python)`,
      },
      // 6: again, once the file was edited: never overwritten (unedited, it is there already)
      {
        do: 'sh',
        cmd: `${ks('salvage restore /home/jane/notes.txt')} && printf edited >> "$ROOT/home/jane/notes.txt" && ${ks('salvage restore /home/jane/notes.txt')}`,
      },
      {
        do: 'sh',
        cmd: `${ks('salvage restore /etc/app --to /root/back')} && readlink "$ROOT/root/back/app/current" && cat "$ROOT/root/back/app/local.conf"`,
      },
      { do: 'sh', cmd: ks('salvage run --json') },
      // 9: what the next shutdown keeps, as diff says; 10: the space, as status says
      { do: 'sh', cmd: ks('diff --json') },
      { do: 'sh', cmd: ks('status') },
      // 11: declare a salvaged directory and fill it from the salvage
      {
        do: 'sh',
        cmd: `${ks('salvage add /home/jane/.config/tool')} && cat "$ROOT/persist/home/jane/.config/tool/settings" && echo && stat -c '%a %u:%g' "$ROOT/persist/home/jane/.config/tool/settings" && grep -c /home/jane/.config/tool "$ROOT/../keepsake.yaml"`,
      },
    ]);
    third = system.boot([
      { do: 'sh', cmd: bootIs(3, t0 + 80) },
      { do: 'apply' },
      { do: 'sh', cmd: ks('salvage run --json') },
      { do: 'sh', cmd: ks('salvage list --json') },
    ]);
  });
  after(() => system?.cleanup());

  it('salvages exactly the undeclared files changed since boot, within the budget', () => {
    const applied = first[2];
    assert.ok(applied?.do === 'apply');
    assert.equal(applied.status, 0, applied.stderr);
    assert.equal(sh(first[3]).status, 0, sh(first[3]).stderr);
    const run = sh(first[4]);
    assert.equal(run.status, 0, run.stderr);
    const r = json(first[4]) as unknown as Rec;
    assert.equal(r.complete, true);
    assert.deepEqual(r.files.map((f) => f.path).sort(), KEPT);
    assert.deepEqual(
      r.skipped.map((s) => [s.path, s.size, s.reason]),
      [['/etc/app/big.bin', 20000, 'over the budget (salvage.maxBytes: 10.0 KiB)']],
    );
    assert.equal(
      r.bytes,
      r.files.reduce((n, f) => n + f.size, 0),
    );
    const notes = r.files.find((f) => f.path === '/home/jane/notes.txt');
    assert.deepEqual([notes?.uid, notes?.gid, notes?.mode, notes?.size], [1000, 1000, 0o600, 8]);
    assert.equal(r.files.find((f) => f.path === '/etc/app/current')?.type, 'link');
    // A link is kept as a link: what it points to is never copied in its name.
    assert.equal(r.files.find((f) => f.path === '/home/jane/evil')?.type, 'link');
    assert.match(r.boot, /^\d{8}T\d{6}Z-00000001-aaaa-bbbb-cccc-dddddddddddd$/);
  });

  it('keeps the record format, a root-only salvage directory, and each file its owner and mode', () => {
    const s = sh(first[5]);
    assert.equal(s.status, 0, s.stderr);
    const [dir, notes, config, local, record, evil] = s.stdout.trim().split('\n');
    assert.equal(evil, '/etc/app/local.conf', 'the link itself, as it was');
    assert.equal(dir, '. 700 0:0');
    assert.match(notes ?? '', / 600 1000:1000$/);
    assert.match(config ?? '', / 750 1000:1000$/);
    assert.match(local ?? '', / 640 0:0$/);
    const keys = Object.keys(JSON.parse(record ?? '{}') as Json);
    assert.deepEqual(keys, [
      'version',
      'boot',
      'bootId',
      'startedAt',
      'finishedAt',
      'complete',
      'bytes',
      'files',
      'skipped',
    ]);
    const file = (JSON.parse(record ?? '{}') as Rec).files[0] as unknown as Json;
    assert.deepEqual(Object.keys(file), ['path', 'size', 'mtime', 'uid', 'gid', 'mode', 'type']);
  });

  it('the next boot lists exactly what was salvaged', () => {
    const list = (json(second[2]) as unknown as { salvages: { boot: string; salvage: Rec }[] })
      .salvages;
    assert.equal(list.length, 1);
    assert.deepEqual(list[0]?.salvage.files.map((f) => f.path).sort(), KEPT);
    const text = sh(second[3]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /complete/);
    assert.match(text.stdout, /1000:1000 0600 {2}\/home\/jane\/notes.txt/);
    assert.match(text.stdout, /\/etc\/app\/big.bin: over the budget/);
  });

  it('restores a file with its owner, mode, content and extended attributes; never overwrites', () => {
    const r = sh(second[4]);
    assert.equal(r.status, 0, r.stderr);
    const [mode, content, tag] = sh(second[5]).stdout.trim().split('\n');
    assert.equal(mode, '600 1000:1000');
    assert.equal(content, 'my notes');
    if (tag !== 'no-python') assert.equal(tag, 'keep');
    const again = sh(second[6]);
    assert.match(again.stdout, /restored \/home\/jane\/notes.txt \(there already\)/);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /notes.txt exists; keepsake does not overwrite it/);
    assert.match(again.stderr, /--force/);
    const to = sh(second[7]);
    assert.equal(to.status, 0, to.stderr);
    assert.deepEqual(to.stdout.trim().split('\n').slice(-2), ['local.conf', 'local']);
  });

  it('diff says what the next shutdown keeps; status says the space salvages take', () => {
    const d = sh(second[9]);
    const salvage = d.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json)
      .find((r) => r.type === 'salvage') as { keeps: { files: number }; maxBytes: number };
    assert.ok(salvage, d.stdout);
    assert.ok(salvage.keeps.files >= 1);
    assert.equal(salvage.maxBytes, 10 * 1024);
    assert.match(
      sh(second[10]).stdout,
      /^salvage: on; 2 boots kept in \/persist\/.keepsake\/salvage, /m,
    );
  });

  it('salvage add declares the path and fills its store from the salvage', () => {
    const a = sh(second[11]);
    assert.equal(a.status, 0, `${a.stdout}\n${a.stderr}`);
    assert.match(a.stdout, /restored \/home\/jane\/.config\/tool\/settings from the salvage of /);
    const lines = a.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(-3), ['dark=1', '644 1000:1000', '1']);
  });

  it('keeps the salvages of keepBoots boots, the oldest expiring first', () => {
    const r2 = json(second[8]) as unknown as Rec & { expired: string[] };
    assert.deepEqual(r2.expired, []);
    const r3 = json(third[2]) as unknown as Rec & { expired: string[] };
    assert.equal(r3.expired.length, 1);
    assert.match(r3.expired[0] ?? '', /-00000001-/);
    const list = (json(third[3]) as unknown as { salvages: { boot: string }[] }).salvages;
    assert.deepEqual(
      list.map((l) => l.boot.slice(17, 25)),
      ['00000002', '00000003'],
    );
  });
});

describe('keepsake salvage under adversity', { skip }, () => {
  let system: TestSystem;
  let steps: StepResult[] = [];
  const t0 = Math.floor(Date.now() / 1000) - 100;
  const FILES = `set -e
mkdir -p "$ROOT/srv/a"
for i in 1 2 3 4; do printf "file $i" > "$ROOT/srv/a/f$i"; done
`;
  before(() => {
    system = new TestSystem({
      config: CONFIG.replace('10K', '1M'),
      stores: ['/persist'],
      accounts: { passwd: PASSWD, group: GROUP },
    });
    steps = system.boot([
      { do: 'sh', cmd: bootIs(1, t0) },
      { do: 'apply' },
      { do: 'sh', cmd: FILES },
      // 3..8: killed after each of the 6 files (passwd, group and four in /srv/a)
      ...[1, 2, 3, 4, 5, 6].map((k) => ({
        do: 'sh' as const,
        cmd: `${ks('salvage run', `KEEPSAKE_TEST_SALVAGE_KILL_AFTER=${k} `)}; echo "status $?"; ${ks('salvage list --json')}`,
      })),
      // 9: uninterrupted, it completes
      { do: 'sh', cmd: ks('salvage run --json') },
      // 10: a link planted where the salvage directory is
      {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/../outside" && mv "$ROOT/persist/.keepsake/salvage" "$ROOT/persist/.keepsake/salvage.real" && ln -s "$ROOT/../outside" "$ROOT/persist/.keepsake/salvage" && { ${ks('salvage run')}; echo "status $?"; ls -A "$ROOT/../outside" | wc -l; rm "$ROOT/persist/.keepsake/salvage"; mv "$ROOT/persist/.keepsake/salvage.real" "$ROOT/persist/.keepsake/salvage"; }`,
      },
      // 11: a process writing to a file all through the salvage
      {
        do: 'sh',
        cmd: `(while :; do echo line >> "$ROOT/srv/a/live.log"; done) & w=$!; ${ks('salvage run --json')}; kill $w; wait $w 2>/dev/null; cat "$ROOT/persist/.keepsake/salvage/"*/files/srv/a/live.log 2>/dev/null | wc -c`,
      },
      // 12: more files than the time allows
      {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/srv/many" && cd "$ROOT/srv/many" && seq 20000 | xargs touch && sed -i 's/keepBoots: 2/keepBoots: 2\\n  timeout: 1s/' "$ROOT/../keepsake.yaml" && { ${ks('salvage run --json')} > "$ROOT/../timeout.json"; echo "status $?"; } && rm -rf "$ROOT/srv/many" "$ROOT/srv/a/live.log" && sed -i '/timeout: 1s/d' "$ROOT/../keepsake.yaml"`,
      },
      // 13: a full store: a small tmpfs where the salvages go
      {
        do: 'sh',
        cmd: `mount -n -t tmpfs -o size=96k tmpfs "$ROOT/persist/.keepsake/salvage" && head -c 60000 /dev/urandom > "$ROOT/srv/a/g1" && head -c 70000 /dev/urandom > "$ROOT/srv/a/g2" && { ${ks('salvage run --json')}; echo "status $?"; }`,
      },
      // 14: the store not mounted: its directory is on the root the next boot wipes
      {
        do: 'sh',
        cmd: `umount -n "$ROOT/persist/.keepsake/salvage" && umount -n "$ROOT/persist" && { ${ks('salvage run')}; echo "status $?"; ls -A "$ROOT/persist" | wc -l; }`,
      },
    ]);
  });
  after(() => system?.cleanup());

  it('a salvage killed after any file reads as partial, never as complete', () => {
    for (let k = 1; k <= 6; k++) {
      const s = sh(steps[2 + k]);
      const [status, list] = s.stdout.trim().split('\n');
      assert.equal(status, 'status 137', `killed after ${k}: ${s.stderr}`);
      const [only] = (JSON.parse(list ?? '{}') as { salvages: { salvage: Rec }[] }).salvages;
      assert.equal(only?.salvage.complete, false, `killed after ${k}`);
      assert.equal(only?.salvage.finishedAt, null);
    }
    const done = json(steps[9]) as unknown as Rec;
    assert.equal(done.complete, true);
    assert.equal(done.files.length, 6);
  });

  it('refuses a link planted in the salvage path, and writes nothing through it', () => {
    const s = sh(steps[10]);
    const lines = s.stdout.trim().split('\n');
    assert.equal(lines.at(-2), 'status 1');
    assert.equal(lines.at(-1), '0', 'nothing written where the link points');
    assert.match(s.stderr, /symbolic link/);
  });

  it('a file written to all through the salvage is copied whole, or left out and said so', () => {
    const s = sh(steps[11]);
    const lines = s.stdout.trim().split('\n');
    const r = JSON.parse(lines[0] ?? '{}') as Rec;
    assert.equal(r.complete, true, s.stderr);
    const kept = r.files.find((f) => f.path === '/srv/a/live.log');
    const left = r.skipped.find((f) => f.path === '/srv/a/live.log');
    assert.ok(kept !== undefined || left !== undefined, 'live.log is accounted for');
    if (kept) assert.equal(Number(lines[1]), kept.size, 'the copy is the version recorded');
    else assert.match(left?.reason ?? '', /kept changing while it was copied/);
  });

  it('a salvage out of time stops, says so for every file left, and is partial', () => {
    const s = sh(steps[12]);
    assert.equal(s.stdout.trim(), 'status 1', s.stderr);
    // Read from the disk: the record lists 20,000 files.
    const r = JSON.parse(readFileSync(`${system.dir}/timeout.json`, 'utf8')) as Rec;
    assert.equal(r.complete, false);
    const late = r.skipped.filter((k) => k.reason === 'not copied: the salvage ran out of time');
    assert.ok(late.length > 0, 'some files left for lack of time');
    assert.equal(r.files.length + late.length, 20000 + 7, 'every file kept or listed');
  });

  it('a full store ends with a partial record and exit 1, not a crash', () => {
    const s = sh(steps[13]);
    const lines = s.stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'status 1', s.stderr);
    const r = JSON.parse(lines.at(-2) ?? '{}') as Rec;
    assert.equal(r.complete, false);
    assert.ok(r.finishedAt !== null);
    assert.ok(
      r.skipped.some((k) => /store is full \(ENOSPC\)/.test(k.reason)),
      JSON.stringify(r.skipped),
    );
    assert.ok(r.files.some((f) => f.path === '/srv/a/g1'));
    assert.doesNotMatch(s.stderr, /at .*\.js:\d+/, 'no stack trace');
  });

  it('refuses to salvage into a store that is not mounted, and makes nothing there', () => {
    const s = sh(steps[14]);
    assert.deepEqual(s.stdout.trim().split('\n'), ['status 1', '0']);
    assert.match(
      s.stderr,
      /the store \/persist is on the root, which the next boot wipes \(tmpfs\)/,
    );
    assert.match(s.stderr, /hint: mount the store/);
  });
});
