// `keepsake salvage` against an adversary, across real "boots" (private mount namespaces, each
// a fresh tmpfs root over the same store disk). Boot 1 salvages a tree with another file
// system mounted inside /home (its files are not copied; `diff` names it as not scanned). Boot 2
// restores against: a kill at every step (with and without --force: each target is the old
// file or the whole new one, leftovers are cleaned by the next run, which finishes), a
// process that writes the target meanwhile (its data is never lost), a full target file
// system, a planted link and a foreign mount in the target path (refused before the first
// change). Boot 3 salvages, with the expiry of boot 1's salvage, killed at every step: the
// list shows the earlier state or a partial salvage, never a complete one missing files,
// and the next run finishes.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CLI, requireNamespaces, type StepResult, sh, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();

const PASSWD = 'root:x:0:0::/root:/bin/sh\njane:x:1000:1000::/home/jane:/bin/sh\n';
const GROUP = 'root:x:0:\njane:x:1000:\n';
const CONFIG = `persistence:
  /persist:
    directories: [/var/log]
salvage:
  enable: true
  maxBytes: 1M
  keepBoots: 2
`;

const node = JSON.stringify(process.execPath);
const ks = (args: string, env = '') =>
  `${env}${node} ${CLI} ${args} --root "$ROOT" --config "$ROOT/../keepsake.yaml"`;
const bootIs = (n: number, startSec: number) =>
  `mkdir -p "$ROOT/proc/sys/kernel/random" && echo 0000000${n}-aaaa-bbbb-cccc-dddddddddddd > "$ROOT/proc/sys/kernel/random/boot_id" && echo "btime ${startSec}" > "$ROOT/proc/stat"`;

/** Boot 1: a tmpfs /home with a disk directory mounted inside it, and the trees restored later. */
const SETUP = `set -e
cd "$ROOT"
mkdir -p home && mount -n -t tmpfs -o mode=0755 tmpfs home
mkdir -p home/jane/disk "$ROOT/../disk" srv/r/sub srv/big
printf 'my notes' > home/jane/notes.txt
printf 'on disk' > "$ROOT/../disk/kept.txt"
mount -n --bind "$ROOT/../disk" home/jane/disk
printf alpha > srv/r/a && chmod 640 srv/r/a
printf bravo > srv/r/b && chown 1000:1000 srv/r/b
printf charlie > srv/r/c
printf delta > srv/r/sub/d
ln -s a srv/r/link
head -c 60000 /dev/urandom > srv/big/g1
head -c 70000 /dev/urandom > srv/big/g2
printf small > srv/big/g3
`;

/** Each target of /srv/r: `new` (the salvaged one, whole), `old`, `absent`, or what it holds. */
const CHECK_RESTORE = `
import fs from 'node:fs';
const dir = process.argv[2];
const want = { a: ['alpha', 'old-a'], b: ['bravo', 'old-b'], c: ['charlie', 'old-c'],
  'sub/d': ['delta', 'old-d'], link: ['->a', '->old-target'] };
const out = {};
for (const [name, [fresh, old]] of Object.entries(want)) {
  const p = dir + '/' + name;
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  const now = st === undefined ? undefined
    : st.isSymbolicLink() ? '->' + fs.readlinkSync(p) : fs.readFileSync(p, 'utf8');
  out[name] = now === undefined ? 'absent' : now === fresh ? 'new' : now === old ? 'old' : 'torn:' + now;
}
const temps = [];
const look = (d, rel) => {
  for (const n of fs.existsSync(d) ? fs.readdirSync(d) : []) {
    if (n.includes('keepsake-restore')) temps.push(rel + n);
    if (fs.lstatSync(d + '/' + n).isDirectory()) look(d + '/' + n, rel + n + '/');
  }
};
look(dir, '');
out.temps = temps;
console.log(JSON.stringify(out));
`;

/** Every salvage of the store: its state and how many of the files its record lists are missing. */
const CHECK_SALVAGES = `
import fs from 'node:fs';
const dir = process.argv[2];
const boots = [];
const others = [];
for (const n of fs.readdirSync(dir).sort()) {
  if (!/^\\d{8}T\\d{6}Z-/.test(n)) { others.push(n); continue; }
  let rec;
  try { rec = JSON.parse(fs.readFileSync(dir + '/' + n + '/salvage.json', 'utf8')); } catch {}
  const missing = rec ? rec.files.filter((f) => {
    try { fs.lstatSync(dir + '/' + n + '/files' + f.path); return false; } catch { return true; }
  }).length : 0;
  boots.push({ id: n.slice(17, 25), state: rec === undefined ? 'none' : rec.complete ? 'complete' : 'partial',
    files: rec ? rec.files.length : 0, missing });
}
console.log(JSON.stringify({ boots, others }));
`;

type Json = Record<string, unknown>;
type Rec = {
  complete: boolean;
  finishedAt: string | null;
  files: { path: string }[];
  skipped: { path: string; size: number; reason: string }[];
  expired?: string[];
};
type Restored = Record<string, string> & { temps: string[] };
type Salvages = {
  boots: { id: string; state: string; files: number; missing: number }[];
  others: string[];
};

const lastJson = (r: StepResult | undefined) =>
  JSON.parse(sh(r).stdout.trim().split('\n').at(-1) ?? '{}') as Json;

/** Wait (in the shell) until process $p is stopped at its step. */
const WAIT_STOPPED = `for i in $(seq 200); do [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" = T ] && break; sleep 0.05; done`;
const checkR = (dir = '$ROOT/srv/r') => `${node} "$ROOT/../check-restore.mjs" "${dir}"`;
const OLD = `mkdir -p "$ROOT/srv/r/sub" && cd "$ROOT/srv/r" && printf old-a > a && printf old-b > b && printf old-c > c && printf old-d > sub/d && ln -s old-target link && cd /`;

/** Restore /srv/r killed at step n = 1, 2, ...; then again, uninterrupted; until it is not killed. */
const killLoop = (force: boolean) => `
for n in $(seq 1 60); do
  rm -rf "$ROOT/srv/r"; ${force ? OLD : 'true'}
  ${ks(`salvage restore /srv/r${force ? ' --force' : ''}`, 'KEEPSAKE_TEST_KILL_AT=salvage:$n ')} >/dev/null 2>&1; s=$?
  cut=$(${checkR()})
  ${ks(`salvage restore /srv/r${force ? ' --force' : ''}`)} > "$ROOT/../again.out" 2>&1; s2=$?
  echo "$n $s $s2 $cut $(${checkR()}) $(find "$ROOT/srv/r" -name '*.keepsake-replaced-*' | wc -l)"
  [ $s = 137 ] || break
done
rm -rf "$ROOT/srv/r"`;

describe('keepsake salvage and restore against an adversary', { skip }, () => {
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
    writeFileSync(`${system.dir}/check-restore.mjs`, CHECK_RESTORE);
    writeFileSync(`${system.dir}/check-salvages.mjs`, CHECK_SALVAGES);
    first = system.boot([
      { do: 'sh', cmd: bootIs(1, t0) },
      { do: 'sh', cmd: SETUP },
      { do: 'apply' },
      { do: 'sh', cmd: ks('salvage run --json') },
      { do: 'sh', cmd: ks('diff') },
    ]);
    second = system.boot([
      { do: 'sh', cmd: bootIs(2, t0 + 40) },
      { do: 'apply' },
      { do: 'sh', cmd: ks('salvage run --json') },
      // 3, 4: a kill at every step of a restore of several files, then without, with --force
      { do: 'sh', cmd: killLoop(false) },
      { do: 'sh', cmd: killLoop(true) },
      // 5: a process creates a target while the restore runs (stopped with its copy made)
      {
        do: 'sh',
        cmd: `${ks('salvage restore /srv/r/a /srv/r/b', 'KEEPSAKE_TEST_STOP_AT=restore-copied:1 ')} > "$ROOT/../out" 2> "$ROOT/../err" & p=$!; ${WAIT_STOPPED}; printf 'written meanwhile' > "$ROOT/srv/r/a"; kill -CONT $p; wait $p; echo "status $?"; cat "$ROOT/../err"; ${checkR()}; rm -rf "$ROOT/srv/r"`,
      },
      // 6: --force, and a process appends to the target while the restore runs
      {
        do: 'sh',
        cmd: `${OLD}; ${ks('salvage restore /srv/r/a /srv/r/b --force', 'KEEPSAKE_TEST_STOP_AT=restore-copied:1 ')} > "$ROOT/../out" 2> "$ROOT/../err" & p=$!; ${WAIT_STOPPED}; printf '+more' >> "$ROOT/srv/r/a"; kill -CONT $p; wait $p; echo "status $?"; cat "$ROOT/../err"; cat "$ROOT/srv/r/a"; echo; ${checkR()}; rm -rf "$ROOT/srv/r"`,
      },
      // 7: --force, and a process that holds the target open writes after it is replaced
      {
        do: 'sh',
        cmd: `${OLD}; exec 3>>"$ROOT/srv/r/a"; ${ks('salvage restore /srv/r/a --force')}; echo "status $?"; printf '+late' >&3; exec 3>&-; cat "$ROOT/srv/r/a"; echo; cat "$ROOT/srv/r/"a.keepsake-replaced-*; echo; rm -rf "$ROOT/srv/r"`,
      },
      // 8: a full target file system
      {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/mnt/small" && mount -n -t tmpfs -o size=96k tmpfs "$ROOT/mnt/small" && { ${ks('salvage restore /srv/big --to /mnt/small')}; echo "status $?"; ls -A "$ROOT/mnt/small/big"; cmp "$ROOT/mnt/small/big/g1" "$ROOT/persist/.keepsake/salvage/"*-00000001-*/files/srv/big/g1 && echo g1-whole; umount -n "$ROOT/mnt/small"; }`,
      },
      // 9: a link planted in a target path (a second path, after a good one)
      {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/../outside" "$ROOT/home" && rm -rf "$ROOT/home/jane" && ln -s "$ROOT/../outside" "$ROOT/home/jane" && { ${ks('salvage restore /srv/r/a /home/jane/notes.txt')}; echo "status $?"; ls -A "$ROOT/../outside" | wc -l; ${checkR()}; rm "$ROOT/home/jane"; }`,
      },
      // 10: another file system mounted inside the target tree
      {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/srv/r/sub" "$ROOT/../mnt-disk" && mount -n --bind "$ROOT/../mnt-disk" "$ROOT/srv/r/sub" && { ${ks('salvage restore /srv/r')}; echo "status $?"; ls -A "$ROOT/../mnt-disk" | wc -l; ${checkR()}; umount -n "$ROOT/srv/r/sub"; rm -rf "$ROOT/srv/r"; }`,
      },
      // 11: temporary names left beside the targets: a partial copy (removed), a stranger's (kept, named)
      {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/srv/r" && printf alp > "$ROOT/srv/r/.a.keepsake-restore" && printf 'not a copy' > "$ROOT/srv/r/.b.keepsake-restore" && { ${ks('salvage restore /srv/r/a /srv/r/b')}; echo "status $?"; cat "$ROOT/srv/r/.b.keepsake-restore"; echo; ${checkR()}; rm -rf "$ROOT/srv/r"; }`,
      },
    ]);
    third = system.boot([
      { do: 'sh', cmd: bootIs(3, t0 + 80) },
      { do: 'apply' },
      // 2: a salvage (and the expiry of boot 1's) killed at every step, each time checked
      {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/srv/t" && for i in 1 2 3; do printf "third $i" > "$ROOT/srv/t/f$i"; done
for n in $(seq 1 80); do
  ${ks('salvage run', 'KEEPSAKE_TEST_KILL_AT=salvage:$n ')} >/dev/null 2>&1; s=$?
  # A removal cut short midway, record first: what is set aside is no salvage any more.
  for x in "$ROOT/persist/.keepsake/salvage/".expiring-*; do [ -d "$x" ] && rm -f "$x/salvage.json" && rm -rf "$x/files/etc"; done
  echo "$n $s $(${node} "$ROOT/../check-salvages.mjs" "$ROOT/persist/.keepsake/salvage") $(${ks('salvage list --json')} | tail -1)"
  [ $s = 137 ] || break
done`,
      },
      { do: 'sh', cmd: ks('salvage list --json') },
    ]);
  });
  after(() => system?.cleanup());

  it('does not copy what another file system mounted inside /home holds; diff names it', () => {
    const run = sh(first[3]);
    assert.equal(run.status, 0, run.stderr);
    const r = lastJson(first[3]) as unknown as Rec;
    const paths = r.files.map((f) => f.path);
    assert.ok(paths.includes('/home/jane/notes.txt'), paths.join(' '));
    assert.ok(paths.includes('/srv/r/a'));
    assert.ok(!paths.some((p) => p.startsWith('/home/jane/disk')), paths.join(' '));
    // Not a file left out: a file system the next boot does not wipe, as diff says.
    assert.ok(!r.skipped.some((s) => s.path.startsWith('/home')), JSON.stringify(r.skipped));
    const d = sh(first[4]);
    assert.match(d.stdout, /not scanned: \/home\/jane\/disk \(ext4, another file system/);
    assert.doesNotMatch(d.stdout, /not scanned: \/home \(/, 'tmpfs /home is walked');
  });

  for (const force of [false, true]) {
    it(`a restore${force ? ' --force' : ''} killed at every step leaves each file old or whole, and the next run finishes`, (t) => {
      const s = sh(second[force ? 4 : 3]);
      const rows = s.stdout.trim().split('\n');
      t.diagnostic(`killed at ${rows.length - 1} steps`);
      assert.ok(rows.length >= 8, `killed at ${rows.length} steps only:\n${s.stdout}\n${s.stderr}`);
      rows.forEach((row, i) => {
        const [n, killed, again, cut, done, replaced] = row.split(' ');
        const last = i === rows.length - 1;
        assert.equal(killed, last ? '0' : '137', row);
        const c = JSON.parse(cut ?? '{}') as Restored;
        for (const [name, state] of Object.entries(c)) {
          if (name === 'temps') continue;
          assert.ok(
            state === 'new' || state === (force ? 'old' : 'absent'),
            `step ${n}: ${name} ${state}`,
          );
        }
        assert.equal(again, '0', `step ${n}: the next restore finishes`);
        const d = JSON.parse(done ?? '{}') as Restored;
        assert.deepEqual(
          d,
          { a: 'new', b: 'new', c: 'new', 'sub/d': 'new', link: 'new', temps: [] },
          `step ${n}: after the next restore`,
        );
        // Each replaced file is kept beside its replacement, once.
        if (force) assert.equal(replaced, '5', `step ${n}: ${row}`);
      });
    });
  }

  it('a target created while the restore runs is kept, and named as not restored', () => {
    const lines = sh(second[5]).stdout.trim().split('\n');
    assert.equal(lines[0], 'status 1', lines.join('\n'));
    const err = lines.slice(1, -1).join('\n');
    assert.match(
      err,
      /not restored: \/srv\/r\/a \(it appeared while it was restored; keepsake does not overwrite it\)/,
    );
    const c = JSON.parse(lines.at(-1) ?? '{}') as Restored;
    assert.equal(c.a, 'torn:written meanwhile');
    assert.equal(c.b, 'new');
    assert.deepEqual(c.temps, []);
  });

  it('--force refuses a target written while the restore runs, and keeps what was written', () => {
    const lines = sh(second[6]).stdout.trim().split('\n');
    assert.equal(lines[0], 'status 1', lines.join('\n'));
    assert.match(lines.join('\n'), /not restored: \/srv\/r\/a \(it changed while it was restored/);
    assert.equal(lines.at(-2), 'old-a+more');
    const c = JSON.parse(lines.at(-1) ?? '{}') as Restored;
    assert.equal(c.b, 'new');
    assert.deepEqual(c.temps, []);
  });

  it('--force keeps the replaced file: a writer holding it open loses nothing', () => {
    const s = sh(second[7]);
    const lines = s.stdout.trim().split('\n');
    assert.ok(lines.includes('status 0'), s.stdout + s.stderr);
    assert.match(s.stdout, /kept as \/srv\/r\/a\.keepsake-replaced-\d{8}T\d{6}Z/);
    assert.deepEqual(lines.slice(-2), ['alpha', 'old-a+late']);
  });

  it('a full target file system: what fits is whole, the rest is named, nothing half-written', () => {
    const s = sh(second[8]);
    const lines = s.stdout.trim().split('\n');
    assert.ok(lines.includes('status 1'), s.stdout + s.stderr);
    assert.deepEqual(lines.slice(lines.indexOf('status 1') + 1), ['g1', 'g3', 'g1-whole']);
    assert.match(s.stderr, /not restored: \/mnt\/small\/big\/g2 \(the file system is full/);
    assert.doesNotMatch(s.stderr, /at .*\.js:\d+/, 'no stack trace');
  });

  it('a link planted in a target path is refused before the first file is written', () => {
    const s = sh(second[9]);
    const lines = s.stdout.trim().split('\n');
    assert.equal(lines[0], 'status 1', s.stdout + s.stderr);
    assert.equal(lines[1], '0', 'nothing written where the link points');
    assert.equal((JSON.parse(lines[2] ?? '{}') as Restored).a, 'absent', 'checked before /srv/r/a');
    assert.match(s.stderr, /symbolic link/);
  });

  it('another file system mounted inside the target tree is refused before any change', () => {
    const s = sh(second[10]);
    const lines = s.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^status [12]$/, s.stdout + s.stderr);
    assert.equal(lines[1], '0', 'nothing written into the mounted file system');
    assert.equal((JSON.parse(lines[2] ?? '{}') as Restored).a, 'absent');
    assert.match(s.stderr, /another file system is mounted at \/srv\/r\/sub/);
  });

  it('a temporary name left beside a target is removed when it is a partial copy, else named', () => {
    const s = sh(second[11]);
    const lines = s.stdout.trim().split('\n');
    assert.ok(lines.includes('status 1'), s.stdout + s.stderr);
    assert.match(
      s.stderr,
      /not restored: \/srv\/r\/b \(\/srv\/r\/\.b\.keepsake-restore is in the way, and is not a copy keepsake made/,
    );
    assert.equal(lines.at(-2), 'not a copy', 'a file keepsake did not make is kept');
    const c = JSON.parse(lines.at(-1) ?? '{}') as Restored;
    assert.equal(c.a, 'new');
    assert.equal(c.b, 'absent');
    assert.deepEqual(c.temps, ['.b.keepsake-restore']);
  });

  it('a salvage and its expiry killed at every step: never complete with files missing, and the next run finishes', (t) => {
    const s = sh(third[2]);
    const rows = s.stdout.trim().split('\n');
    t.diagnostic(`killed at ${rows.length - 1} steps`);
    assert.ok(rows.length >= 10, `killed at ${rows.length} steps only:\n${s.stdout}\n${s.stderr}`);
    let sawExpiring = false;
    rows.forEach((row, i) => {
      const [n, status, check, ...rest] = row.split(' ');
      const list = rest.join(' ');
      assert.equal(status, i === rows.length - 1 ? '0' : '137', row);
      const c = JSON.parse(check ?? '{}') as Salvages;
      for (const b of c.boots)
        assert.equal(b.missing, 0, `step ${n}: a salvage listing files it does not hold: ${row}`);
      const byId = new Map(c.boots.map((b) => [b.id.slice(7), b]));
      // The newest salvage before this boot's is never touched.
      assert.equal(byId.get('2')?.state, 'complete', `step ${n}: ${row}`);
      // Boot 1's is there whole, or gone: never a record without its files.
      const one = byId.get('1');
      assert.ok(one === undefined || one.state === 'complete', `step ${n}: ${row}`);
      // This boot's reads as partial until its final record, which lists all it kept.
      const three = byId.get('3');
      if (three?.state === 'complete') assert.ok(three.files >= 3, row);
      for (const o of c.others) {
        assert.match(o, /^\.expiring-\d{8}T\d{6}Z-/, `step ${n}: ${row}`);
        sawExpiring = true;
      }
      const listed = (
        JSON.parse(list || '{}') as { salvages: { boot: string; salvage: Rec | null }[] }
      ).salvages;
      for (const l of listed) {
        const b = c.boots.find((x) => l.boot.slice(17, 25) === x.id);
        assert.equal(l.salvage?.complete ?? false, b?.state === 'complete', row);
      }
    });
    assert.ok(sawExpiring, 'a kill came between setting a salvage aside and its removal');
    const final = JSON.parse(rows.at(-1)?.split(' ')[2] ?? '{}') as Salvages;
    assert.deepEqual(
      final.boots.map((b) => [b.id.slice(7), b.state]),
      [
        ['2', 'complete'],
        ['3', 'complete'],
      ],
    );
    assert.deepEqual(final.others, [], 'the next run finishes what a killed one left');
  });
});
