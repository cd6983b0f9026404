// Every command's --json output, read back as a script would: each line one record whose
// first two keys are `record` and `version`, valid against the schema `keepsake schema
// --records` publishes, with no field the schema leaves out, and true to the system it
// describes (a real root with real bind mounts, inside a private mount namespace).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RecordType } from '../../src/cli/records.js';
import { CLI, requireNamespaces, type StepResult, TestSystem } from '../helpers/boot.js';
import { filesConfig, homesOfSuite, ran as ranHome } from '../helpers/home.js';
import { validate } from '../helpers/json-schema.js';

const skip = requireNamespaces();

type Rec = { record: string; version: number } & Record<string, unknown>;

function published(): Map<string, RecordType> {
  const r = spawnSync(process.execPath, [CLI, 'schema', '--records'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { records: RecordType[] };
  return new Map(doc.records.map((t) => [t.record, t]));
}
const TYPES = published();

/** Every line of a command's stdout, each checked to be a record of a published type. */
function records(stdout: string, what: string): Rec[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0, `${what}: printed nothing`);
  return lines.map((line) => {
    const v = JSON.parse(line) as Rec;
    assert.deepEqual(Object.keys(v).slice(0, 2), ['record', 'version'], `${what}: ${line}`);
    const type = TYPES.get(v.record);
    assert.ok(type, `${what}: record ${v.record} is not published`);
    assert.equal(v.version, type.version, `${what}: ${v.record}`);
    assert.deepEqual(validate(type.schema, v, true), [], `${what}: ${line.slice(0, 400)}`);
    return v;
  });
}

const CONFIG = `persistence:
  /persist:
    directories: [/var/lib/app, /var/log]
    files: [/etc/app.conf]
`;
const MORE = `persistence:
  /persist:
    directories: [/var/lib/app, /var/log, /var/cache/app]
    files: [/etc/app.conf]
`;

function ran(r: StepResult | undefined) {
  assert.ok(r && (r.do === 'apply' || r.do === 'sh'), `not a command: ${JSON.stringify(r)}`);
  return r;
}

describe('the records of --json', () => {
  it('the validator rejects what breaks a schema, so a pass means something', () => {
    const status = TYPES.get('status')!.schema;
    const good = { record: 'status', version: 1, ok: true, entries: [], stale: [] };
    assert.deepEqual(validate(status, { ...good, problems: [], lastSkipped: [] }, true), []);
    assert.match(validate(status, good, true).join('\n'), /lacks problems/);
    const extra = { ...good, problems: [], lastSkipped: [], surprise: 1 };
    assert.match(validate(status, extra, true).join('\n'), /surprise is not in the schema/);
    const typed = { ...good, ok: 'yes', problems: [], lastSkipped: [] };
    assert.match(validate(status, typed, true).join('\n'), /ok: is string, not boolean/);
    assert.match(validate(status, { ...good, record: 'plan' }, true).join('\n'), /not "status"/);
  });

  it('publishes a schema for each record, the plan at the plan type’s own version', () => {
    for (const [name, t] of TYPES) {
      assert.equal(t.schema.type, 'object', name);
      assert.deepEqual(t.schema.required?.slice(0, 2), ['record', 'version'], name);
      assert.ok(Number.isInteger(t.version) && t.version >= 1, name);
    }
    assert.ok(TYPES.has('error'));
  });
});

describe('every reporting command, read back', { skip }, () => {
  let s: TestSystem;
  let out: StepResult[];
  before(() => {
    s = new TestSystem({ config: CONFIG, stores: ['/persist'] });
    const installCfg = `cp ${s.configFile} $ROOT/etc/keepsake.yaml && ${process.execPath} ${CLI} install-service --root $ROOT --config $ROOT/etc/keepsake.yaml --unit-dir ${s.dir}/unit-dir --bin /usr/bin/keepsake --json`;
    out = s.boot([
      { do: 'mkdir', path: '/etc' },
      { do: 'mkdir', path: '/var/lib' },
      { do: 'apply', command: 'check', args: ['--json'] }, // 2
      { do: 'apply', command: 'plan', args: ['--json'] },
      { do: 'apply', args: ['--dry-run', '--json'] },
      { do: 'apply', args: ['--json'] }, // 5
      { do: 'apply', command: 'status', args: ['--json'] },
      { do: 'write', path: '/srv/junk/file', content: 'lost at reboot\n' },
      { do: 'apply', command: 'diff', args: ['--json'] }, // 8
      { do: 'apply', command: 'generations', args: ['--json'] },
      { do: 'set-config', text: MORE },
      { do: 'apply', args: ['--json'] }, // 11
      { do: 'apply', command: 'diff-generations', args: ['1', '2', '--json'] },
      { do: 'apply', command: 'rollback', args: ['1', '--dry-run', '--json'] },
      { do: 'apply', command: 'rollback', args: ['1', '--json'] }, // 14
      { do: 'sh', cmd: 'mkdir -p $ROOT/persist/old-data && echo x > $ROOT/persist/old-data/f' },
      { do: 'apply', command: 'orphans', args: ['--json'] }, // 16
      { do: 'apply', command: 'prune', args: ['--json'] },
      { do: 'apply', command: 'prune', args: ['--yes', '--json'] },
      { do: 'apply', command: 'ignore', args: ['/srv/junk', '--json'] }, // 19
      { do: 'write', path: '/var/lib/other/state', content: 'kept\n' },
      { do: 'apply', command: 'add', args: ['/var/lib/other', '--dry-run', '--json'] }, // 21
      { do: 'apply', command: 'add', args: ['/var/lib/other', '--json'] },
      { do: 'apply', command: 'compile', args: ['--systemd', `${s.dir}/units`, '--json'] },
      { do: 'apply', command: 'install-service', args: ['--dry-run', '--json'] }, // 24
      { do: 'sh', cmd: installCfg },
      { do: 'apply', command: 'init', args: ['--json'] }, // 26
      { do: 'apply', command: 'release', args: ['--dry-run', '--json'] },
      { do: 'apply', command: 'release', args: ['--json'] }, // 28
      { do: 'apply', command: 'check', args: ['--json', '--config', `${s.dir}/absent.yaml`] },
      { do: 'apply', command: 'status', args: ['--json'] }, // 30
      // Released: data written at a target now escapes; a disk's file system is not entered.
      { do: 'write', path: '/var/lib/app/escaped', content: 'lost at reboot\n' },
      {
        do: 'sh',
        cmd: `mkdir -p ${s.dir}/other $ROOT/mnt/other && mount -n --bind ${s.dir}/other $ROOT/mnt/other`,
      },
      { do: 'apply', command: 'diff', args: ['--json'] }, // 33
      { do: 'apply', command: 'metrics', args: ['--json'] }, // 34
    ]);
  });
  after(() => s?.cleanup());

  const at = (i: number, code = 0) => {
    const r = ran(out[i]);
    assert.equal(r.status, code, `step ${i}: ${r.stdout}\n${r.stderr}`);
    return records(r.stdout, `step ${i}`);
  };
  const names = (rs: Rec[]) => [...new Set(rs.map((r) => r.record))];

  it('check, plan and status count the entries the configuration declares', () => {
    const [check] = at(2);
    assert.equal(check!.record, 'check');
    assert.equal(check!.entries, 3);
    const [plan] = at(3);
    assert.equal(plan!.record, 'plan');
    assert.equal((plan!.entries as unknown[]).length, 3);
    const [status] = at(6);
    assert.equal(status!.record, 'status');
    assert.equal(status!.ok, true);
    const entries = status!.entries as Array<{ state: string }>;
    assert.deepEqual(
      entries.map((e) => e.state),
      ['ok', 'ok', 'ok'],
    );
  });

  it("apply carries out the plan's steps, one event each, in order", () => {
    const [plan] = at(3);
    const planned = plan!.actions as unknown[];
    assert.ok(planned.length > 0);
    for (const i of [4, 5]) {
      const rs = at(i);
      assert.deepEqual(names(rs), ['apply.event', 'apply.result'], `step ${i}`);
      const events = rs.filter((r) => r.record === 'apply.event');
      assert.deepEqual(
        events.map((e) => e.action),
        planned,
      );
      assert.ok(events.every((e) => e.status === 'done'));
      const result = rs.at(-1)!;
      assert.deepEqual([result.ok, result.actions, result.dryRun], [true, planned.length, i === 4]);
    }
    assert.equal(at(5).at(-1)!.generation, 1);
  });

  it('diff shows the undeclared file, then its totals', () => {
    const rs = at(8);
    assert.ok(
      // Rolled up: /srv holds nothing else, so it is shown whole.
      rs.some((r) => r.record === 'diff.path' && /^\/srv(\/junk)?$/.test(r.path as string)),
      JSON.stringify(rs.map((r) => r.path)),
    );
    const last = rs.at(-1)!;
    assert.equal(last.record, 'diff.summary');
    assert.equal(last.escaped, 0);
  });

  it('generations, diff-generations and rollback agree with what was applied', () => {
    assert.deepEqual(
      at(9).map((r) => [r.record, r.live, (r.generations as unknown[]).length]),
      [['generations', 1, 1]],
    );
    assert.equal(at(11).at(-1)!.generation, 2);
    const [d] = at(12);
    assert.equal(d!.record, 'generations.diff');
    const added = d!.added as Array<{ target: string }>;
    assert.deepEqual(
      added.map((e) => e.target),
      ['/var/cache/app'],
    );
    assert.deepEqual(names(at(13)), ['apply.event', 'apply.result']);
    const back = at(14);
    assert.deepEqual([back.at(-1)!.ok, back.at(-1)!.generation], [true, 3]);
  });

  it('orphans lists the data nothing refers to; prune refuses without --yes, then deletes it', () => {
    const [o] = at(16);
    const orphans = o!.orphans as Array<{ path: string }>;
    assert.ok(
      orphans.some((x) => x.path === '/persist/old-data'),
      JSON.stringify(orphans),
    );
    const [dry] = at(17, 2);
    assert.deepEqual([dry!.record, dry!.ok, dry!.dryRun], ['prune', false, true]);
    const [done] = at(18);
    const deleted = done!.deleted as Array<{ path: string }>;
    assert.ok(deleted.some((x) => x.path === '/persist/old-data'));
    assert.equal(fs.existsSync(s.disk('/persist', '/old-data')), false);
  });

  it('ignore and add report what they wrote to the configuration', () => {
    const [ig] = at(19);
    assert.deepEqual([ig!.record, ig!.changed], ['ignore', true]);
    assert.match(fs.readFileSync(s.configFile, 'utf8'), /\/srv\/junk/);
    const [dry] = at(21);
    assert.equal(dry!.record, 'add.plan');
    const added = at(22);
    assert.deepEqual(names(added), ['add.event', 'add.result']);
    assert.equal(added.at(-1)!.ok, true);
    assert.equal(
      fs.readFileSync(s.disk('/persist', '/var/lib/other/state'), 'utf8'),
      'kept\n',
      'the data is in the store',
    );
  });

  it('compile, install-service and init report the files they wrote', () => {
    const [c] = at(23);
    assert.equal(c!.record, 'compile');
    for (const f of c!.files as Array<{ path: string }>)
      assert.ok(fs.lstatSync(`${s.dir}/units/${f.path}`), f.path);
    // A configuration outside --root cannot be read at boot: refused, as an error record.
    const [refused] = at(24, 2);
    assert.deepEqual([refused!.record, refused!.error], ['error', 'usage']);
    const [inst] = at(25);
    assert.equal(inst!.record, 'install-service');
    for (const f of inst!.files as string[]) assert.ok(fs.lstatSync(f), f);
    const [init] = at(26);
    assert.equal(init!.record, 'init');
    assert.match(init!.config as string, /persistence:/);
  });

  it('release takes down what the plan of release names', () => {
    const [plan] = at(27);
    assert.equal(plan!.record, 'release.plan');
    const unmounts = (plan!.unmounts as Array<{ target: string }>).map((u) => u.target);
    assert.ok(unmounts.length > 0);
    const rs = at(28);
    const events = rs.filter((r) => r.record === 'release.event');
    assert.deepEqual(
      events.map((e) => e.target),
      unmounts,
    );
    assert.deepEqual([rs.at(-1)!.record, rs.at(-1)!.released], ['release.result', unmounts.length]);
    // Released: status now finds the directories unmounted (drift, exit 1).
    const [status] = at(30, 1);
    assert.equal(status!.ok, false);
  });

  it('diff reports escaped state first, with exit 1, and the file systems it did not enter', () => {
    const rs = at(33, 1);
    const escaped = rs[0]!;
    assert.deepEqual([escaped.record, escaped.target], ['diff.escaped', '/var/lib/app']);
    assert.ok(
      ['not-mounted', 'not-applied'].includes(escaped.reason as string),
      String(escaped.reason),
    );
    assert.ok(rs.some((r) => r.record === 'diff.skipped' && r.path === '/mnt/other'));
    assert.equal(rs.at(-1)!.escaped, 1);
  });

  it('metrics has the entries that status counts', () => {
    const [m] = at(34);
    assert.equal(m!.record, 'metrics');
    const [status] = at(30, 1);
    const entries = m!.entries as Record<string, number>;
    const total = Object.values(entries).reduce((n, v) => n + v, 0);
    assert.equal(total, (status!.entries as unknown[]).length);
  });

  it('prints every published record type but those of home and an unreadable path', () => {
    const seen = new Set<string>();
    for (const r of out) {
      if (r.do !== 'apply' && r.do !== 'sh') continue;
      for (const line of r.stdout.split('\n'))
        if (line.startsWith('{"record"')) seen.add(JSON.parse(line).record);
    }
    // Home records are read back below; salvage's by the salvage tests, which check them
    // against these same schemas; diff.error needs a path root cannot read.
    const expected = [...TYPES.keys()].filter(
      (n) =>
        !n.startsWith('home.') &&
        !n.startsWith('salvage.') &&
        n !== 'diff.salvage' &&
        n !== 'diff.error',
    );
    assert.deepEqual([...seen].sort(), expected.sort());
  });

  it('a failure is an error record, with exit status 2 for a file that cannot be read', () => {
    const rs = at(29, 2);
    assert.equal(rs.length, 1);
    assert.deepEqual([rs[0]!.record, rs[0]!.error], ['error', 'config-invalid']);
    assert.match(JSON.stringify(rs[0]!.diagnostics), /absent\.yaml/);
  });
});

describe('home commands, read back', { skip }, () => {
  const testHome = homesOfSuite((h) => h.userDir('store'));
  it('home apply, generations, rollback and expire print records of their types', () => {
    const h = testHome();
    h.write('one.yaml', filesConfig('.a: { text: "one" }').replaceAll('$DIR', h.dir));
    h.write('two.yaml', filesConfig('.a: { text: "two" }').replaceAll('$DIR', h.dir));
    const use = (name: string) => ({
      do: 'sh' as const,
      cmd: `cp "$DIR/${name}" "$DIR/keepsake.yaml"`,
    });
    const results = h.run([
      use('one.yaml'),
      { do: 'user', args: ['home', 'apply', '--json'] },
      use('two.yaml'),
      { do: 'user', args: ['home', 'apply', '--json'] },
      { do: 'user', args: ['home', 'generations', '--json'] },
      { do: 'user', args: ['home', 'rollback', '--json'] },
      { do: 'user', args: ['home', 'expire', '--keep', '1', '--json'] },
      { do: 'sh', cmd: 'cat "$HOME_DIR/.a"' },
    ]);
    const read = (i: number) => {
      const r = ranHome(results[i]);
      assert.equal(r.status, 0, `step ${i}: ${r.stdout}\n${r.stderr}`);
      return records(r.stdout, `home step ${i}`);
    };
    const first = read(1);
    assert.equal(first.at(-1)!.record, 'home.apply.result');
    assert.equal(first.at(-1)!.generation, 1);
    assert.ok(first.some((r) => r.record === 'home.apply.event'));
    assert.equal(read(3).at(-1)!.generation, 2);
    const [gens] = read(4);
    assert.deepEqual([gens!.record, gens!.current], ['home.generations', 2]);
    assert.equal(read(5).at(-1)!.record, 'home.apply.result');
    assert.equal(ranHome(results[7]).stdout, 'one');
    const [expired] = read(6);
    assert.equal(expired!.record, 'home.expire');
    assert.equal((expired!.deleted as number[]).length, 2);
  });
});
