// apply carries out runs of its common steps in the native addon (native/steps.c) unless
// KEEPSAKE_STEPS=js; the JavaScript path (safe-fs.ts) is the reference. Each case runs the
// whole CLI both ways, each in a fresh root in a private mount namespace, and compares
// everything observable: the tree (type, mode, owner, link target, content of every path),
// the mounts (where, and of what), the --json records, the exit status and the messages;
// with adversaries: a planted link, a race swapping a directory for a link, a foreign mount,
// a full and a read-only file system, a kill at every step.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  CLI,
  requireNamespaces,
  type Step,
  type StepResult,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';
import { skipUnlessCI } from '../helpers/ns-run.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

type Opts = ConstructorParameters<typeof TestSystem>[0];
function system(opts: Opts, prepare?: (s: TestSystem) => void): TestSystem {
  const s = new TestSystem(opts);
  systems.push(s);
  prepare?.(s);
  return s;
}

type Way = 'js' | 'native';
type Sh = Extract<StepResult, { do: 'sh' }>;
const sh = (cmd: string): Extract<Step, { do: 'sh' }> => ({ do: 'sh', cmd });
const shOf = (r: StepResult | undefined): Sh => {
  assert.ok(r?.do === 'sh', `not a shell step: ${JSON.stringify(r)}`);
  return r;
};

/** The CLI as a shell command, under a given umask, one way or the other. */
function apply(
  s: TestSystem,
  way: Way,
  args: string[] = [],
  opts: { umask?: string; env?: string; prefix?: string } = {},
) {
  const env = `${way === 'js' ? 'KEEPSAKE_STEPS=js ' : 'KEEPSAKE_STEPS= '}${opts.env ?? ''}`;
  return sh(
    `umask ${opts.umask ?? '022'}; ${env} NO_COLOR=1 ${opts.prefix ?? ''} "${process.execPath}" "${CLI}" apply --root "$ROOT" --config "${s.configFile}" ${args.join(' ')}`,
  );
}

/**
 * Everything observable under the root (mounts crossed): each path with its type, mode,
 * owner and link target; each file's content hash (keepsake's own records, which hold times,
 * only by presence); then every mount at or below the root, in order: where, and what
 * (the mounted directory of its file system, the test's temp dir written as <dir>).
 */
const STATE = sh(
  [
    'cd "$ROOT"',
    // The settled record (and the mount table beside it) is a cache of what a plan was made
    // from: a run with a test switch (the JavaScript path is one) keeps none, so it is left
    // out of the comparison.
    "find . ! -path './run/keepsake/settled*.json' -printf '%p %y %m %U:%G %l\\n' | LC_ALL=C sort",
    'echo ==',
    "find . -type f ! -path './run/*' ! -path '*/.keepsake/*' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum",
    'echo ==',
    // mountinfo: ... root mountpoint options [optional fields] - fstype source superoptions
    `awk -v R="$ROOT" '$5==R || index($5, R"/")==1 { for (i = 7; $i != "-"; i++); print substr($5, length(R)+1) " " $4 " " $(i+1) " " $(i+2) }' /proc/self/mountinfo`,
  ].join(' && '),
);

function stateOf(s: TestSystem, r: StepResult | undefined): string {
  const out = shOf(r);
  assert.equal(out.status, 0, out.stderr);
  return out.stdout.split(s.dir).join('<dir>');
}
/** The state without keepsake's own bookkeeping (/run/keepsake: lock, last apply, model). */
const found = (state: string) =>
  state
    .split('\n')
    .filter((l) => !/^\.\/run\/keepsake[/ ]/.test(l))
    .join('\n');
const mountsOf = (state: string) => state.split('==\n')[2]!.trim().split('\n');

interface Records {
  actions: string[];
  last: Record<string, unknown>;
}
/** The --json action records (kind, path, status, error) in order, and the final record. */
function records(stdout: string): Records {
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    actions: lines.filter((l) => l.event === 'action').map((l) => JSON.stringify(l)),
    last: lines.at(-1) ?? {},
  };
}

/** One boot each way, in a fresh root: the same `before` steps, the apply, then STATE. */
function bothWays(make: () => TestSystem, before: Step[], args: string[] = [], umask = '022') {
  const out = {} as Record<Way, { apply: Sh; state: string; s: TestSystem }>;
  for (const way of ['js', 'native'] as const) {
    const s = make();
    const r = s.boot([...before, apply(s, way, args, { umask }), STATE]);
    out[way] = { apply: shOf(r[before.length]), state: stateOf(s, r[before.length + 1]), s };
  }
  return out;
}

const JANE = { name: 'jane', uid: 1000, gid: 1000 };
const MIXED = `persistence:
  /persist:
    directories:
      - /var/log
      - /var/lib/app
      - { directory: /srv/shared/data, user: jane, group: users, mode: "2770" }
      - { directory: /srv/shared/www, mode: "0751" }
      - { directory: /opt/tool/state, user: jane, mode: "0700" }
    files:
      - /etc/machine-id
      - { file: /etc/app/secret, parentDirectory: { mode: "0700", user: jane } }
      - { file: /srv/shared/motd, method: symlink }
    users:
      jane:
        directories: [Documents, .local/share/app, { directory: .ssh, mode: "0700" }]
        files: [.bash_history, { file: .config/tool.ini, method: symlink }]
`;
/** The root before the apply: a set-group-id parent of some targets, a home made by hand. */
const MIXED_BEFORE: Step[] = [
  sh(
    'mkdir -p "$ROOT/srv/shared" && chgrp 100 "$ROOT/srv/shared" && chmod 2775 "$ROOT/srv/shared"',
  ),
];
function mixedSystem() {
  return system(
    { config: MIXED, stores: ['/persist'], users: [JANE], groups: [{ name: 'users', gid: 100 }] },
    (s) => {
      // The store's copy of a set-group-id parent, and data already stored.
      const shared = s.disk('/persist', '/srv/shared');
      fs.mkdirSync(shared, { recursive: true });
      fs.chownSync(shared, 0, 100);
      fs.chmodSync(shared, 0o2775);
      fs.mkdirSync(s.disk('/persist', '/etc'), { recursive: true });
      fs.writeFileSync(s.disk('/persist', '/etc/machine-id'), '0123456789abcdef\n');
    },
  );
}

// CI installs strace (.ci/run): there, a missing one fails these tests.
const strace = skipUnlessCI(
  spawnSync('strace', ['-V']).status === 0 ? null : 'strace is not installed',
);

describe('native steps: the same result as the JavaScript path', { skip }, () => {
  // Without this, the comparisons below could pass with both runs on the JavaScript path.
  it('takes the native path unless KEEPSAKE_STEPS=js', { skip: strace }, () => {
    const made = {} as Record<Way, { relative: number; absolute: number }>;
    for (const way of ['js', 'native'] as const) {
      const s = mixedSystem();
      const trace = `${s.dir}/trace`;
      const prefix = `strace -f -qq -e trace=mkdir,mkdirat -o "${trace}"`;
      const r = s.boot([...MIXED_BEFORE, apply(s, way, [], { prefix })])[MIXED_BEFORE.length];
      assert.equal(shOf(r).status, 0, shOf(r).stdout + shOf(r).stderr);
      const calls = fs.readFileSync(trace, 'utf8').split('\n');
      made[way] = {
        // runSteps: mkdirat(<descriptor of the checked parent>, "<name>", ...)
        relative: calls.filter((l) => /mkdirat\(\d+, "[^/"]+", /.test(l)).length,
        absolute: calls.filter((l) => /mkdir(at)?\((AT_FDCWD, )?"\//.test(l)).length,
      };
    }
    console.log(`mkdir calls: ${JSON.stringify(made)}`);
    assert.equal(made.js.relative, 0, JSON.stringify(made));
    assert.ok(made.native.relative >= 20, JSON.stringify(made));
    assert.ok(made.js.absolute >= 20, JSON.stringify(made));
  });

  it('system and home entries, set-group-id parents, umask 077: same tree, mounts and records', () => {
    const r = bothWays(mixedSystem, MIXED_BEFORE, ['--json'], '077');
    assert.equal(r.native.apply.status, 0, r.native.apply.stderr);
    assert.equal(r.js.apply.status, 0, r.js.apply.stderr);
    assert.equal(r.native.state, r.js.state);
    const js = records(r.js.apply.stdout);
    const native = records(r.native.apply.stdout);
    assert.ok(js.actions.length > 20, `${js.actions.length} actions`);
    assert.deepEqual(native.actions, js.actions);
    // The non-exact directories came out exact, through the native path too.
    assert.match(r.native.state, /^\.\/srv\/shared\/data d 2770 1000:100 $/m);
    assert.match(r.native.state, /^\.\/home\/jane\/\.ssh d 700 1000:1000 $/m);
    assert.match(r.native.state, /^\.\/persist\/srv\/shared\/www d 751 0:0 $/m);
    assert.ok(mountsOf(r.native.state).some((m) => m.startsWith('/home/jane/Documents ')));
  });
});

/** Lines of `stderr` that look like a stack trace. */
const stackLines = (text: string) =>
  text.split('\n').filter((l) => /^\s+at .+\(?.*:\d+:\d+\)?$/.test(l));
const normalized = (s: TestSystem, text: string) => text.split(s.dir).join('<dir>');

// A planted link: one directory on the way to a target or a store replaced by a link to a
// directory outside the root, which holds one file and must stay exactly so.
const PLANTED = `persistence:
  /persist:
    directories: [/var/lib/app/data]
    files: [/srv/app/conf]
`;
const POSITIONS = [
  '/var',
  '/var/lib',
  '/var/lib/app',
  '/var/lib/app/data',
  '/srv',
  '/srv/app',
  '/persist/var',
  '/persist/var/lib',
  '/persist/var/lib/app',
  '/persist/var/lib/app/data',
  '/persist/srv',
  '/persist/srv/app',
];
const OUTSIDE = `find "$OUT" -printf '%p %y %m %U:%G\\n' | LC_ALL=C sort && awk -v O="$OUT" 'index($5, O)==1 { print "MOUNT " $5 }' /proc/self/mountinfo`;

describe('native steps: a planted link in every position', { skip }, () => {
  it('fails or refuses exactly as the JavaScript path, and nothing outside the root changes', () => {
    const outcomes: string[] = [];
    for (const at of POSITIONS) {
      const seen = {} as Record<Way, { status: number; message: string; outside: string }>;
      for (const way of ['js', 'native'] as const) {
        const s = system({ config: PLANTED, stores: ['/persist'] }, (x) => {
          fs.mkdirSync(`${x.dir}/outside`);
          fs.writeFileSync(`${x.dir}/outside/keep`, 'outside\n');
        });
        const out = `OUT="${s.dir}/outside"`;
        const plant = sh(
          `mkdir -p "$ROOT${at}" && rmdir "$ROOT${at}" && ln -s "${s.dir}/outside" "$ROOT${at}"`,
        );
        const r = s.boot([
          plant,
          STATE,
          sh(`${out}; ${OUTSIDE}`),
          apply(s, way),
          STATE,
          sh(`${out}; ${OUTSIDE}`),
        ]);
        assert.equal(shOf(r[0]).status, 0, shOf(r[0]).stderr);
        const a = shOf(r[3]);
        // A link on the way is never taken: the apply refuses or fails, both ways.
        assert.notEqual(a.status, 0, `${way}, link at ${at}: applied\n${a.stdout}`);
        const [before, after] = [stateOf(s, r[1]), stateOf(s, r[4])];
        const [outBefore, outAfter] = [shOf(r[2]).stdout, shOf(r[5]).stdout];
        assert.equal(outAfter, outBefore, `${way}, link at ${at}: outside changed`);
        assert.doesNotMatch(outAfter, /MOUNT/, `${way}, link at ${at}: a mount outside`);
        assert.deepEqual(stackLines(a.stderr), [], a.stderr);
        assert.equal(found(after), found(before), `${way}, link at ${at}: the root changed`);
        assert.match(a.stderr, /link/, `${way}, link at ${at}: ${a.stderr}`);
        // No mount anywhere goes through the link: none has the link's path as its place.
        for (const m of mountsOf(after)) assert.ok(!m.startsWith(`${at} `), `${way}: ${m}`);
        seen[way] = {
          status: a.status,
          message: normalized(s, a.stderr),
          outside: normalized(s, outAfter),
        };
      }
      assert.deepEqual(seen.native, seen.js, `link at ${at}`);
      outcomes.push(`${at}: exit ${seen.native.status}`);
    }
    console.log(`planted link outcomes (both ways): ${outcomes.join('; ')}`);
  });
});

// The same, but planted while the apply runs, right after the apply made the directory:
// every mkdir is held back a moment (strace), and the link goes in as soon as the directory
// appears, so the steps after it meet the link, on both paths alike.
const PLANTED_LATE = ['/var/lib', '/var/lib/app', '/persist/var/lib'];

describe('native steps: a link planted while apply runs', { skip: strace || skip }, () => {
  it('is never followed, and the apply fails as on the JavaScript path', () => {
    const outcomes: string[] = [];
    for (const at of PLANTED_LATE) {
      const seen = {} as Record<Way, { status: number; said: string; state: string }>;
      for (const way of ['js', 'native'] as const) {
        const s = system({ config: PLANTED, stores: ['/persist'] }, (x) => {
          fs.mkdirSync(`${x.dir}/outside`);
          fs.writeFileSync(`${x.dir}/outside/keep`, 'outside\n');
        });
        const prefix = `strace -f -qq -o /dev/null -e trace=mkdir,mkdirat -e inject=mkdir,mkdirat:delay_exit=200000`;
        const run = [
          `OUT="${s.dir}/outside"`,
          `(${apply(s, way, [], { prefix }).cmd}) > "$ROOT/../out" 2>&1 &`,
          `i=0; while [ ! -e "$ROOT${at}" ] && [ $i -lt 2000 ]; do sleep 0.005; i=$((i+1)); done`,
          `mv "$ROOT${at}" "$ROOT${at}.away" && ln -s "$OUT" "$ROOT${at}"`,
          'wait $!; echo "status $?"',
          OUTSIDE,
        ].join('\n');
        const r = s.boot([sh(run), STATE]);
        const out = shOf(r[0]);
        assert.equal(out.status, 0, out.stderr);
        const status = Number(/^status (\d+)$/m.exec(out.stdout)?.[1]);
        const said = normalized(s, fs.readFileSync(`${s.dir}/out`, 'utf8')).replace(
          /\/proc\/self\/fd\/\d+/g,
          '/proc/self/fd/N', // which descriptor a message names depends on what was kept open
        );
        const state = stateOf(s, r[1]);
        assert.notEqual(status, 0, `${way}, link at ${at}: applied\n${said}`);
        assert.match(said, /symbolic link/, `${way}, link at ${at}: ${said}`);
        assert.deepEqual(stackLines(said), [], said);
        // Outside: still only its one file, and nothing mounted there.
        assert.equal(
          out.stdout.split('\n').filter((l) => l.startsWith(s.dir)).length,
          2,
          `${way}, link at ${at}: outside changed\n${out.stdout}`,
        );
        assert.doesNotMatch(out.stdout, /MOUNT/, `${way}, link at ${at}: a mount outside`);
        for (const m of mountsOf(state)) assert.ok(!m.startsWith(`${at} `), `${way}: ${m}`);
        seen[way] = { status, said, state };
      }
      assert.deepEqual(seen.native, seen.js, `link planted at ${at}`);
      outcomes.push(`${at}: exit ${seen.native.status}`);
    }
    console.log(`links planted while applying (both ways): ${outcomes.join('; ')}`);
  });
});

// A race: while apply runs, an adversary keeps swapping /var/lib (the parent of every
// target) with a link to a directory outside the root.
const RACED = `persistence:
  /persist:
    directories: [/var/lib/a, /var/lib/b, /var/lib/c, /var/lib/d/e, /var/lib/f/g/h]
    files: [/var/lib/conf, /var/lib/d/file]
`;
const RACED_TARGETS = ['/var/lib/a', '/var/lib/b', '/var/lib/c', '/var/lib/d/e', '/var/lib/f/g/h'];
const ADVERSARY = `${CLI.replace(/bin\/keepsake\.js$/, '')}dist/test/helpers/swap-adversary.js`;

describe('native steps: a race with a link swapped in', { skip }, () => {
  it('never creates or mounts anything outside the root, round after round', () => {
    const ROUNDS = 30;
    const tally = { succeeded: 0, failedSafely: 0, swaps: 0 };
    const reasons: Record<string, number> = {};
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const s = system({ config: RACED, stores: ['/persist'] }, (x) => {
        fs.mkdirSync(`${x.dir}/outside`);
      });
      const run = [
        `OUT="${s.dir}/outside"`,
        'mkdir -p "$ROOT/var/lib"',
        'awk \'{ print $5 }\' /proc/self/mountinfo > "$ROOT/../mounts.before"',
        `"${process.execPath}" "${ADVERSARY}" "$ROOT/var/lib" "$OUT" "$ROOT/../stop" > "$ROOT/../adversary" &`,
        'sleep 0.05',
        `NO_COLOR=1 "${process.execPath}" "${CLI}" apply --root "$ROOT" --config "${s.configFile}" > "$ROOT/../out" 2>&1; echo "status $?"`,
        'touch "$ROOT/../stop"; wait',
        'cat "$ROOT/../adversary"',
        'echo "outside: $(ls -A "$OUT" | wc -l)"',
        // Every mount made meanwhile: where (the root's path as ROOT) and of what.
        'awk \'{ print $5 }\' /proc/self/mountinfo | grep -vxF -f "$ROOT/../mounts.before" | sed "s|^$ROOT|ROOT|;s|^|new |" || true',
        `awk -v R="$ROOT" 'index($5, R"/")==1 { print "at " substr($5, length(R)+1) " " $4 }' /proc/self/mountinfo`,
      ].join('\n');
      const [r] = s.boot([sh(run)]);
      const out = shOf(r).stdout.split(s.dir).join('<dir>');
      const status = Number(/^status (\d+)$/m.exec(out)?.[1]);
      const adversary = JSON.parse(/^\{.*\}$/m.exec(out)?.[0] ?? '{}') as { swaps?: number };
      assert.ok(adversary.swaps !== undefined, out);
      tally.swaps += adversary.swaps;
      assert.match(out, /^outside: 0$/m, `round ${round}: something was made outside\n${out}`);
      for (const line of out.split('\n').filter((l) => l.startsWith('new '))) {
        const where = line.slice(4);
        assert.ok(
          RACED_TARGETS.some((t) => where === `ROOT${t}`),
          `round ${round}: a mount not at a declared target: ${line}\n${out}`,
        );
      }
      for (const line of out.split('\n').filter((l) => l.startsWith('at '))) {
        const [, where, what] = line.split(' ');
        if (where === '/persist') continue;
        assert.ok(RACED_TARGETS.includes(where!), `round ${round}: ${line}`);
        assert.ok(what!.endsWith(`/disk0${where}`), `round ${round}: ${line} is not its store`);
      }
      if (status === 0) {
        tally.succeeded++;
        const points = out.split('\n').filter((l) => l.startsWith('new ')).length;
        assert.equal(points, RACED_TARGETS.length, `round ${round}: ${out}`);
      } else {
        tally.failedSafely++;
        const said = fs.readFileSync(`${s.dir}/out`, 'utf8');
        assert.doesNotMatch(said, /^\s+at /m, out);
        const why = !/^(✓|failed) /m.test(said)
          ? 'stopped before any change' // refused, or a path vanished while it looked
          : /steps already taken were undone/.test(said)
            ? 'failed while applying, undone'
            : // The adversary had moved away what the apply made: loud, and nothing is lost.
              /some steps could not be undone/.test(said)
              ? 'failed while applying, undo found the path moved'
              : 'other';
        assert.notEqual(why, 'other', said);
        reasons[why] = (reasons[why] ?? 0) + 1;
      }
      if (Date.now() - started > 50_000) break; // bounded: a slow machine does fewer rounds
    }
    console.log(
      `race: ${tally.succeeded} rounds succeeded, ${tally.failedSafely} failed safely ${JSON.stringify(reasons)}, ${tally.swaps} swaps`,
    );
    assert.ok(tally.succeeded + tally.failedSafely >= 10, 'too few rounds ran');
  });
});

// A foreign mount inside the tree (a tmpfs on /var/lib before the apply), and a mount the
// apply itself makes during its run hiding what was below: /var/lib/app is bound, and
// /var/lib/app/x (another store) and /var/lib/app/y (the same store) are declared too.
// The plan makes /var/lib/app/x's mount point through the store's path and binds
// /var/lib/app with a propagation change, which ends a native run: so no native step goes
// through a target the same run has just bound (the unit test covers the addon's own
// forgetting of what a bind covers).
const NESTED = `persistence:
  /persist:
    directories: [/var/lib/one/two, /var/lib/app, /var/lib/app/y, /var/log]
    files: [/var/lib/one/file]
  /scratch:
    directories: [/var/lib/app/x, /var/lib/app/x/deeper]
`;

describe('native steps: mounts inside the tree', { skip }, () => {
  it('a foreign tmpfs on a parent, and targets inside a target the apply binds', () => {
    const make = () => system({ config: NESTED, stores: ['/persist', '/scratch'] });
    const before = [
      sh('mkdir -p "$ROOT/var/lib" && mount -n -t tmpfs -o mode=755 foreign "$ROOT/var/lib"'),
    ];
    // Below the apply's own mounts: nothing may have been made there (it would be hidden).
    const below = sh(
      'umount -n "$ROOT/var/lib/app/x" && umount -n "$ROOT/var/lib/app" && echo "below: $(ls -A "$ROOT/var/lib/app")"',
    );
    const out = {} as Record<Way, { state: string; below: string; disk: string[] }>;
    for (const way of ['js', 'native'] as const) {
      const s = make();
      const r = s.boot([...before, apply(s, way), STATE, below]);
      assert.equal(shOf(r[1]).status, 0, shOf(r[1]).stderr);
      const state = stateOf(s, r[2]);
      out[way] = {
        state,
        below: shOf(r[3]).stdout,
        disk: (fs.readdirSync(s.disks['/persist']!, { recursive: true }) as string[])
          .filter((p) => p.startsWith('var'))
          .sort(),
      };
    }
    assert.deepEqual(out.native, out.js);
    // The directories on the way were made on the foreign tmpfs, which is still there.
    assert.match(out.native.state, /^\/var\/lib \/ tmpfs foreign$/m);
    assert.match(out.native.state, /^\.\/var\/lib\/one\/two d 755 0:0 $/m);
    // /var/lib/app/x was made inside the bound store, not in the directory below the bind.
    assert.equal(out.native.below, 'below: \n');
    assert.ok(out.native.disk.includes('var/lib/app/x'), out.native.disk.join(' '));
    assert.ok(out.native.disk.includes('var/lib/app/y'), out.native.disk.join(' '));
    const points = mountsOf(out.native.state).map((m) => m.split(' ')[0]);
    for (const t of ['/var/lib/app', '/var/lib/app/x', '/var/lib/one/two', '/var/log'])
      assert.equal(points.filter((p) => p === t).length, 1, `${t}: ${points}`);
  });
});

// A full or read-only root or store: the apply fails, names the error and the path, and
// undoes everything; with --keep-going the entries that fit are in place.
const FULL = `persistence:
  /persist:
    directories: [/var/log, /var/lib/a, /var/lib/b/c, /srv/d/e/f, /opt/x/y]
    files: [/etc/app.conf, /srv/d/conf]
    users:
      jane:
        directories: [Documents, .local/share/app]
`;
const fullSystem = () => system({ config: FULL, stores: ['/persist'], users: [JANE] });
/** keepsake's own /run on a tmpfs of its own, so only the root (or store) is short. */
const OWN_RUN = 'mount -n -t tmpfs tmpfs "$ROOT/run"';
const isTmpfs = (p: string) => `[ "$(findmnt -n -o FSTYPE "${p}")" = tmpfs ]`;
const CASES: Array<{ name: string; errno: string; setup: string }> = [
  {
    name: 'root out of inodes',
    errno: 'ENOSPC',
    setup: `${OWN_RUN} && ${isTmpfs('$ROOT')} && mkdir -p "$ROOT/home/jane" && chown 1000:1000 "$ROOT/home/jane" && U=$(df --output=iused "$ROOT" | tail -1) && mount -n -o remount,nr_inodes=$((U + 5)) "$ROOT"`,
  },
  {
    name: 'store out of inodes',
    errno: 'ENOSPC',
    setup: 'mount -n -t tmpfs -o nr_inodes=6,mode=755 store "$ROOT/persist"',
  },
  {
    name: 'read-only root',
    errno: 'EROFS',
    // A per-mount flag (bind): never the superblock, which the host could share.
    setup: `${OWN_RUN} && mkdir -p "$ROOT/var/log" "$ROOT/home/jane" && chown 1000:1000 "$ROOT/home/jane" && mount -n -o remount,bind,ro "$ROOT"`,
  },
  {
    name: 'read-only store',
    errno: 'EROFS',
    setup: 'mkdir -p "$ROOT/persist/var/log" && mount -n -o remount,bind,ro "$ROOT/persist"',
  },
];

describe('native steps: a full or read-only file system', { skip }, () => {
  for (const c of CASES) {
    it(`${c.name}: fails naming ${c.errno} and the path, undoes everything, as the JavaScript path`, () => {
      const seen = {} as Record<Way, { status: number; message: string; state: string }>;
      for (const way of ['js', 'native'] as const) {
        const s = fullSystem();
        const r = s.boot([sh(c.setup), STATE, apply(s, way), STATE]);
        assert.equal(shOf(r[0]).status, 0, shOf(r[0]).stderr);
        const a = shOf(r[2]);
        const [before, after] = [stateOf(s, r[1]), stateOf(s, r[3])];
        const text = a.stdout + a.stderr;
        assert.notEqual(a.status, 0, `${way}: applied\n${text}`);
        assert.match(
          text,
          new RegExp(`cannot .* '\\S+/root/\\S+': .* \\(${c.errno}\\)`),
          `${way}: ${text}`,
        );
        assert.match(text, /the steps already taken were undone/, text);
        assert.deepEqual(stackLines(text), [], text);
        assert.equal(found(after), found(before), `${way}: not undone`);
        seen[way] = { status: a.status, message: normalized(s, text), state: after };
      }
      assert.deepEqual(seen.native, seen.js);
    });

    it(`${c.name}, --keep-going: what fits is in place, the rest reported and left as found`, () => {
      const seen = {} as Record<Way, { status: number; stdout: string; state: string }>;
      for (const way of ['js', 'native'] as const) {
        const s = fullSystem();
        const r = s.boot([sh(c.setup), STATE, apply(s, way, ['--keep-going', '--json']), STATE]);
        const a = shOf(r[2]);
        const [before, after] = [stateOf(s, r[1]), stateOf(s, r[3])];
        assert.notEqual(a.status, 0, `${way}: ${a.stdout}${a.stderr}`);
        assert.deepEqual(stackLines(a.stdout + a.stderr), [], a.stderr);
        // The entries a step failed for: each left as found, and reported.
        const failed = records(a.stdout)
          .actions.map((l) => JSON.parse(l) as { status: string; action: { entry?: string } })
          .filter((l) => l.status === 'failed')
          .map((l) => l.action.entry?.replace(/^\w+:/, '') ?? '');
        assert.ok(failed.length > 0, `${way}: nothing failed\n${a.stdout}`);
        assert.match(a.stdout, new RegExp(`\\(${c.errno}\\)`), a.stdout);
        for (const target of failed) {
          const line = (st: string) => st.split('\n').find((l) => l.startsWith(`.${target} `));
          assert.equal(line(after), line(before), `${way}: ${target} changed`);
          assert.ok(!mountsOf(after).some((m) => m.startsWith(`${target} `)), target);
        }
        // The others are in place: every bind that was done is still mounted.
        const bound = records(a.stdout)
          .actions.map(
            (l) => JSON.parse(l) as { status: string; action: { kind: string; target?: string } },
          )
          .filter((l) => l.action.kind === 'bind' && l.status === 'done')
          .map((l) => l.action.target!);
        assert.ok(bound.length > 0, `${way}: nothing was bound\n${a.stdout}`);
        for (const t of bound)
          assert.ok(
            mountsOf(after).some((m) => m.startsWith(`${t} `)),
            t,
          );
        seen[way] = { status: a.status, stdout: normalized(s, a.stdout), state: after };
      }
      assert.deepEqual(seen.native, seen.js);
    });
  }
});

// A kill (SIGKILL) after every step, native steps on. crash.test.ts already shows that the
// next apply converges after a kill at every step; here the state a kill leaves is compared
// with the one the JavaScript path leaves killed at the same step: a kill ends a native run
// exactly at its step, so the two are identical, and the next apply completes the same way.
const KILLED = `persistence:
  /persist:
    directories: [/var/log, /var/lib/app, { directory: /srv/data, user: jane, mode: "0750" }]
    files: [/etc/machine-id, /etc/app.conf]
    users:
      jane:
        directories: [Documents]
        files: [.profile]
`;
const killedSystem = () =>
  system({ config: KILLED, stores: ['/persist'], users: [JANE] }, (s) => {
    fs.mkdirSync(s.disk('/persist', '/etc'), { recursive: true });
    fs.writeFileSync(s.disk('/persist', '/etc/machine-id'), '0123456789abcdef\n');
  });

describe('native steps: a kill at every step', { skip }, () => {
  it('leaves what the JavaScript path leaves, and the next apply completes it', () => {
    const ref = killedSystem();
    const [refApply, refState] = ref.boot([apply(ref, 'native', ['--json']), STATE]);
    assert.equal(shOf(refApply).status, 0, shOf(refApply).stdout);
    const reference = stateOf(ref, refState);
    const n = records(shOf(refApply).stdout).actions.length;
    assert.ok(n >= 20 && n <= 40, `${n} actions`);
    const kill = (k: number) => ({ env: `KEEPSAKE_KILL_AFTER_ACTION=${k}` });
    for (let k = 0; k < n; k++) {
      const s = killedSystem();
      const r = s.boot([apply(s, 'native', [], kill(k)), STATE, apply(s, 'native'), STATE]);
      const j = killedSystem();
      const rj = j.boot([apply(j, 'js', [], kill(k)), STATE]);
      assert.equal(shOf(r[0]).status, 137, `kill after ${k}: ${shOf(r[0]).stdout}`);
      assert.equal(shOf(rj[0]).status, 137, `kill after ${k} (js): ${shOf(rj[0]).stdout}`);
      const killed = stateOf(s, r[1]);
      assert.equal(killed, stateOf(j, rj[1]), `killed after step ${k}: not as the JavaScript path`);
      assert.equal(shOf(r[2]).status, 0, `after a kill at ${k}: ${shOf(r[2]).stdout}`);
      const final = stateOf(s, r[3]);
      assert.equal(final, reference, `after a kill at ${k}: not as an uninterrupted apply`);
      const points = mountsOf(final).map((m) => m.split(' ')[0]);
      assert.equal(new Set(points).size, points.length, `mounted twice: ${points}`);
    }
  });
});
