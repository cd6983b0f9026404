// `keepsake metrics` on a booted test system (a private mount namespace, a tmpfs root, a store
// on its own "disk", real bind mounts): the text parses strictly as the Prometheus exposition
// format; its figures are those of `status --json`, `diff --json` and `orphans --json` on the
// same root; apply refreshes the configured textfile and keeps the last walked figures; a run
// killed between writing and renaming never leaves a half-written file; a link planted at the
// file or in its directory is refused; a metrics file that cannot be written never fails apply.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI, requireNamespaces, type StepResult, TestSystem } from '../helpers/boot.js';
import { type Family, parseExposition, sampleValue } from '../helpers/exposition.js';

const skip = requireNamespaces();

const CONFIG = `persistence:
  /persist:
    directories:
      - /var/log
      - /srv/data
      - /srv/blocked
    files:
      - /etc/app.conf
metrics:
  textfile: /var/lib/prom
`;
const LINKED = CONFIG.replace('/var/lib/prom', '/tmp/ld');

const NODE = JSON.stringify(process.execPath);
const SALVAGE = `set -e
S="$ROOT/persist/.keepsake/salvage"
mkdir -p "$S/b1" "$S/b2" "$S/b3" "$S/b4" "$S/b5"
printf '{"version":1,"boot":"b1","complete":true,"bytes":500,"files":2}' > "$S/b1/salvage.json"
printf '{"version":1,"boot":"b2","complete":false,"bytes":999}' > "$S/b2/salvage.json"
printf '{"version":1,"boot":"b3","compl' > "$S/b3/salvage.json"
printf '{"version":1,"boot":"b4","complete":true,"bytes":7777}' > "$ROOT/tmp/planted.json"
ln -s "$ROOT/tmp/planted.json" "$S/b4/salvage.json"
printf '{"version":2,"boot":"b5","complete":true,"bytes":31}' > "$S/b5/salvage.json"
mkdir "$S/b6" && mkfifo "$S/b6/salvage.json"
ln -s "$S/b1" "$S/b7"
`;

describe('keepsake metrics on a booted system', { skip }, () => {
  let r: StepResult[] = [];
  let system: TestSystem;
  let started = 0;
  let ended = 0;
  const cmd = (args: string) =>
    `${NODE} ${CLI} metrics --root "$ROOT" --config ${JSON.stringify(system.configFile)} ${args}`;
  before(() => {
    system = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    started = Date.now() / 1000;
    r = system.boot([
      /* 0 */ { do: 'write', path: '/srv/blocked/x', content: 'in the way\n' },
      /* 1 */ { do: 'write', path: '/persist/old/orphan.bin', content: 'o'.repeat(1234) },
      /* 2 */ { do: 'sh', cmd: SALVAGE },
      /* 3 */ { do: 'apply', args: ['--keep-going'] },
      /* 4 */ { do: 'sh', cmd: 'cat "$ROOT/var/lib/prom/keepsake.prom"' },
      /* 5 */ {
        do: 'sh',
        cmd: 'mkdir -p "$ROOT/opt/app" && head -c 100 /dev/zero > "$ROOT/opt/app/a" && printf hello > "$ROOT/srv/junk"',
      },
      /* 6 */ { do: 'apply', command: 'metrics' },
      /* 7 */ { do: 'apply', command: 'status', args: ['--json'] },
      /* 8 */ { do: 'apply', command: 'diff', args: ['--json'] },
      /* 9 */ { do: 'apply', command: 'orphans', args: ['--json'] },
      /* 10 */ { do: 'apply', command: 'metrics', args: ['--textfile'] },
      /* 11 */ { do: 'sh', cmd: 'cat "$ROOT/var/lib/prom/keepsake.prom"' },
      /* 12 */ { do: 'sh', cmd: 'rm "$ROOT/srv/blocked/x"' },
      /* 13 */ { do: 'apply' },
      /* 14 */ {
        do: 'sh',
        cmd: 'stat -c %a "$ROOT/var/lib/prom/keepsake.prom" && cat "$ROOT/var/lib/prom/keepsake.prom"',
      },
      /* 15 */ { do: 'sh', cmd: 'cat "$ROOT/run/keepsake/applied.json"' },
      // Killed between writing the temporary file and renaming it over the old one.
      /* 16 */ {
        do: 'sh',
        cmd: `D="$ROOT/var/lib/prom"
cp "$D/keepsake.prom" "$ROOT/tmp/before"
KEEPSAKE_TEST_METRICS_PAUSE_MS=30000 ${cmd('--textfile "$D"')} >/dev/null 2>&1 &
pid=$!
i=0
while ! ls -a "$D" | grep -q '[.]tmp$'; do i=$((i+1)); [ $i -gt 600 ] && break; sleep 0.05; done
echo "during: $(ls -a "$D" | grep -c '[.]tmp$')"
echo "temp-size: $(cat "$D"/.*.tmp | wc -c)"
kill -9 $pid
wait $pid
echo "killed: $?"
cmp -s "$D/keepsake.prom" "$ROOT/tmp/before" && echo "unchanged: yes"`,
      },
      /* 17 */ { do: 'sh', cmd: 'cat "$ROOT/var/lib/prom/keepsake.prom"' },
      /* 18 */ {
        do: 'sh',
        cmd: `${cmd('--textfile "$ROOT/var/lib/prom"')} && ls -a "$ROOT/var/lib/prom"`,
      },
      // Killed at random points, with no pause: the file is always old or new, never partial.
      /* 19 */ {
        do: 'sh',
        cmd: `D="$ROOT/var/lib/prom"
for n in 1 2 3 4 5 6 7 8; do
  ${cmd('--textfile "$D"')} >/dev/null 2>&1 &
  pid=$!
  sleep 0.$(( (n * 7919) % 9 ))$(( n % 10 ))
  kill -9 $pid 2>/dev/null
  wait $pid
  printf '%s\\0' "$(cat "$D/keepsake.prom")"
done`,
      },
      // A link planted where the file goes, and a directory that is a link.
      /* 20 */ {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/tmp/pl" "$ROOT/tmp/real"
printf 'victim\\n' > "$ROOT/tmp/victim"
ln -s "$ROOT/tmp/victim" "$ROOT/tmp/pl/keepsake.prom"
ln -s "$ROOT/tmp/real" "$ROOT/tmp/ld"
${cmd('--textfile "$ROOT/tmp/pl"')}`,
      },
      /* 21 */ {
        do: 'sh',
        cmd: `cat "$ROOT/tmp/victim"; readlink "$ROOT/tmp/pl/keepsake.prom"; ls -a "$ROOT/tmp/pl"`,
      },
      /* 22 */ { do: 'sh', cmd: `${cmd('--textfile "$ROOT/tmp/ld"')}` },
      /* 23 */ { do: 'set-config', text: LINKED },
      /* 24 */ { do: 'apply' },
      /* 25 */ { do: 'sh', cmd: 'ls -a "$ROOT/tmp/real"' },
      // A full file system: the old file stays whole, and no temporary file is left behind.
      /* 26 */ {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/full" && mount -n -t tmpfs -o size=12k tmpfs "$ROOT/full"
${cmd('--textfile "$ROOT/full"')} && cp "$ROOT/full/keepsake.prom" "$ROOT/tmp/full-before"
head -c 65536 /dev/zero > "$ROOT/full/fill" 2>/dev/null
${cmd('--textfile "$ROOT/full"')}`,
      },
      /* 27 */ {
        do: 'sh',
        cmd: 'cmp "$ROOT/full/keepsake.prom" "$ROOT/tmp/full-before" && echo same; ls -a "$ROOT/full"',
      },
      // A read-only file system.
      /* 28 */ {
        do: 'sh',
        cmd: `mkdir -p "$ROOT/ro" && mount -n -t tmpfs -o ro tmpfs "$ROOT/ro" && ${cmd('--textfile "$ROOT/ro"')}`,
      },
      /* 29 */ { do: 'set-config', text: CONFIG.replace(/metrics:\n.*\n/, '') },
      /* 30 */ { do: 'apply', command: 'metrics', args: ['--textfile'] },
    ]);
    ended = Date.now() / 1000;
  });
  after(() => system?.cleanup());

  const out = (i: number) => {
    const x = r[i];
    assert.ok(x && (x.do === 'sh' || x.do === 'apply'), `step ${i} ran a command`);
    return x;
  };
  const prom = (i: number): Map<string, Family> => {
    const x = out(i);
    assert.equal(x.status, 0, x.stderr);
    return parseExposition(x.stdout.replace(/^\d+\n/, ''));
  };
  const json = (i: number) => JSON.parse(out(i).stdout);

  it('prints text that parses strictly, with HELP and TYPE for every family', () => {
    const f = prom(6);
    for (const fam of f.values()) {
      assert.match(fam.name, /^keepsake_/);
      assert.ok(fam.help && fam.help.length > 10, `${fam.name} has HELP`);
      assert.equal(fam.type, 'gauge', `${fam.name} is a gauge`);
      assert.ok(!fam.name.endsWith('_total'), 'no counters here');
      assert.ok(fam.samples.length > 0, `${fam.name} has samples`);
    }
    assert.equal(sampleValue(f, 'keepsake_build_info', { version: '0.1.0' }), 1);
  });

  it('counts entries by state as status reports them', () => {
    const f = prom(6);
    const status = json(7) as {
      entries: { state: string; live: string }[];
      lastSkipped: unknown[];
    };
    const byState = new Map<string, number>();
    for (const e of status.entries) byState.set(e.state, (byState.get(e.state) ?? 0) + 1);
    for (const state of ['ok', 'pending', 'refused'])
      assert.equal(sampleValue(f, 'keepsake_entries', { state }), byState.get(state) ?? 0, state);
    const byLive = new Map<string, number>();
    for (const e of status.entries) byLive.set(e.live, (byLive.get(e.live) ?? 0) + 1);
    const live = f.get('keepsake_entries_live')?.samples ?? [];
    assert.equal(live.length, 7, 'every live state, 0 included');
    for (const s of live)
      assert.equal(s.value, byLive.get(s.labels.live ?? '') ?? 0, s.labels.live);
    assert.equal(byLive.get('occupied'), 1, 'the blocked entry');
    assert.equal(byState.get('refused'), 1, 'the blocked entry');
    assert.equal(byState.get('ok'), 3);
    assert.equal(sampleValue(f, 'keepsake_skipped_entries'), status.lastSkipped.length);
    assert.equal(status.lastSkipped.length, 1);
  });

  it('has the figures of diff and orphans', () => {
    const f = prom(6);
    const diff = out(8)
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = diff.find((d) => d.type === 'summary') as {
      files: number;
      bytes: number;
      escaped: number;
    };
    assert.ok(summary.bytes >= 105, 'the undeclared files written are counted');
    assert.equal(sampleValue(f, 'keepsake_undeclared_bytes'), summary.bytes);
    assert.equal(sampleValue(f, 'keepsake_undeclared_files'), summary.files);
    assert.equal(sampleValue(f, 'keepsake_escaped_paths'), summary.escaped);
    const orphans = (json(9) as { orphans: { bytes: number }[] }).orphans;
    const bytes = orphans.reduce((n, o) => n + o.bytes, 0);
    assert.ok(bytes >= 1234, 'the orphan written is counted');
    assert.equal(sampleValue(f, 'keepsake_orphan_bytes'), bytes);
  });

  it('sums only complete salvage records, read without following links', () => {
    assert.equal(sampleValue(prom(6), 'keepsake_salvaged_bytes'), 500);
  });

  it('records the last apply: its outcome, time and duration', () => {
    const f = prom(6);
    assert.equal(sampleValue(f, 'keepsake_last_apply_success'), 0, '--keep-going skipped one');
    const at = sampleValue(f, 'keepsake_last_apply_timestamp_seconds');
    assert.ok(at >= started - 1 && at <= ended + 1, `${at} within the test`);
    const took = sampleValue(f, 'keepsake_apply_duration_seconds');
    assert.ok(took > 0 && took < 60, `${took}`);
    const after = prom(14);
    assert.equal(sampleValue(after, 'keepsake_last_apply_success'), 1);
    assert.ok(sampleValue(after, 'keepsake_last_apply_timestamp_seconds') >= at);
    const applied = json(15) as { durationSeconds?: number };
    assert.equal(typeof applied.durationSeconds, 'number');
    assert.ok((applied.durationSeconds ?? -1) >= 0 && (applied.durationSeconds ?? 99) < 60);
  });

  it('apply refreshes the configured textfile, with no walk of the tree', () => {
    const f = prom(4);
    assert.equal(sampleValue(f, 'keepsake_last_apply_success'), 0);
    assert.equal(sampleValue(f, 'keepsake_skipped_entries'), 1);
    assert.equal(sampleValue(f, 'keepsake_entries', { state: 'refused' }), 1);
    // No full run yet in this boot: the walked figures are left out, not made up.
    assert.equal(f.get('keepsake_undeclared_bytes'), undefined);
    assert.equal(f.get('keepsake_orphan_bytes'), undefined);
    assert.equal(f.get('keepsake_diff_timestamp_seconds'), undefined);
  });

  it('--textfile writes the same figures, and a later apply keeps the walked ones', () => {
    const printed = prom(6);
    const written = prom(11);
    for (const name of [
      'keepsake_undeclared_bytes',
      'keepsake_undeclared_files',
      'keepsake_escaped_paths',
      'keepsake_orphan_bytes',
      'keepsake_salvaged_bytes',
      'keepsake_skipped_entries',
    ])
      assert.equal(sampleValue(written, name), sampleValue(printed, name), name);
    assert.equal(out(13).status, 0, out(13).stderr);
    const x = out(14);
    assert.match(x.stdout, /^644\n/, 'mode 0644');
    const later = prom(14);
    assert.equal(sampleValue(later, 'keepsake_entries', { state: 'ok' }), 4);
    assert.equal(sampleValue(later, 'keepsake_skipped_entries'), 0);
    for (const name of [
      'keepsake_undeclared_bytes',
      'keepsake_undeclared_files',
      'keepsake_escaped_paths',
      'keepsake_orphan_bytes',
      'keepsake_diff_timestamp_seconds',
    ])
      assert.equal(sampleValue(later, name), sampleValue(written, name), `${name} kept`);
  });

  it('a run killed between writing and renaming leaves the old file whole', () => {
    const x = out(16);
    assert.match(x.stdout, /^during: 1$/m, 'the kill came while the temporary file existed');
    assert.match(x.stdout, /^temp-size: [1-9]\d*$/m);
    assert.match(x.stdout, /^killed: 137$/m);
    assert.match(x.stdout, /^unchanged: yes$/m);
    prom(17);
    const next = out(18);
    assert.equal(next.status, 0, next.stderr);
    assert.doesNotMatch(next.stdout, /\.tmp$/m, 'the dead run’s temporary file is cleared');
  });

  it('killed at random points, the file is always complete', () => {
    const x = out(19);
    const seen = x.stdout.split('\0').slice(0, -1);
    assert.equal(seen.length, 8);
    for (const text of seen) {
      const f = parseExposition(`${text}\n`);
      sampleValue(f, 'keepsake_build_info', { version: '0.1.0' });
      sampleValue(f, 'keepsake_entries', { state: 'ok' });
    }
  });

  it('refuses a link planted at the file, and a directory that is a link', () => {
    const planted = out(20);
    assert.notEqual(planted.status, 0);
    assert.match(planted.stderr, /keepsake\.prom/);
    assert.match(planted.stderr, /link/);
    assert.doesNotMatch(planted.stderr, /^\s+at /m, 'no stack trace');
    const left = out(21);
    assert.equal(left.stdout.split('\n')[0], 'victim', 'the link’s target is untouched');
    assert.match(left.stdout, /tmp\/victim\n/, 'the link is left as it was');
    assert.doesNotMatch(left.stdout, /\.tmp/, 'no temporary file left behind');
    const dir = out(22);
    assert.notEqual(dir.status, 0);
    assert.match(dir.stderr, /tmp\/ld/);
    assert.doesNotMatch(dir.stderr, /^\s+at /m);
  });

  it('a metrics file that cannot be written fails no apply: it warns', () => {
    const x = out(24);
    assert.equal(x.status, 0, x.stderr);
    assert.match(x.stderr, /metrics/);
    assert.match(x.stderr, /tmp\/ld/);
    assert.equal(out(25).stdout.trim(), '.\n..'.trim(), 'nothing written through the link');
  });

  it('a full or read-only file system: a clear error, the old file whole, nothing left behind', () => {
    const full = out(26);
    assert.equal(full.status, 1);
    assert.match(full.stderr, /no space left on device \(ENOSPC\)/);
    assert.doesNotMatch(full.stderr, /^\s+at /m);
    assert.deepEqual(out(27).stdout.trim().split('\n'), [
      'same',
      '.',
      '..',
      'fill',
      'keepsake.prom',
    ]);
    const ro = out(28);
    assert.equal(ro.status, 1);
    assert.match(ro.stderr, /read-only file system \(EROFS\)/);
    assert.match(ro.stderr, /hint: /);
  });

  it('--textfile with no directory, and none configured, is a usage error with the fix', () => {
    const x = out(30);
    assert.equal(x.status, 2);
    assert.match(x.stderr, /sets no metrics\.textfile/);
    assert.match(x.stderr, /hint: .*--textfile DIR/);
  });
});
