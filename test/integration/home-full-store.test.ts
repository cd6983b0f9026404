// A home apply whose writes the file system refuses: the home store (content and generation
// records) on a small tmpfs that is full or read-only, and the home itself (links) on a tmpfs
// with no inode left. The apply fails with a clear message and no stack trace; the generation
// applied before and its files are exactly as they were, nothing half-written is left behind,
// and once there is room again the same apply succeeds with the new files.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireNamespaces } from '../helpers/boot.js';
import { filesConfig, type HomeStep, homesOfSuite, ran, UID } from '../helpers/home.js';

const skip = requireNamespaces();
const testHome = homesOfSuite((h) => h.userDir('store'));

const OLD = filesConfig('.a: { text: "old a" }', '.b: { text: "old b" }');
const NEW = filesConfig('.a: { text: "new a" }', '.c: { text: "new c" }', 'dir/.d: { text: "d" }');
const use = (name: string): HomeStep => ({
  do: 'sh',
  cmd: `cp "$DIR/${name}" "$DIR/keepsake.yaml"`,
});

/** Everything under `dir` (links with their targets, files with hashes), leaving out what
 *  fills the file system; then the links that lead nowhere. */
const listing = (dir: string): HomeStep => ({
  do: 'sh',
  cmd: `cd "${dir}" && find . ! -name fill ! -name 'fill-*' -printf '%y %m %U %p -> %l\\n' | LC_ALL=C sort && find . -type f ! -name fill ! -name 'fill-*' -exec sha256sum {} + | LC_ALL=C sort && find -L . -type l -printf 'dangling %p\\n'`,
});
const STATE: HomeStep[] = [
  listing('$DIR/store'),
  listing('$HOME_DIR'),
  { do: 'sh', cmd: 'cat "$HOME_DIR/.a"' },
];

/** Fill the file system at `$1` to the last block, as root. */
const fillBlocks = (at: string) =>
  `dd if=/dev/zero of="${at}/fill" bs=4k 2>/dev/null; test "$(df --output=avail "${at}" | tail -1)" -eq 0`;
/** Use up the inodes of the file system at `$1`, as root. */
const fillInodes = (at: string) =>
  `i=0; while touch "${at}/fill-$i" 2>/dev/null; do i=$((i+1)); done; test "$(df --output=iavail "${at}" | tail -1)" -eq 0`;

interface Scenario {
  /** Mount the small tmpfs (as root), before the first apply. */
  mount: string;
  fault: string;
  mend: string;
  /** The configuration applied while it fails (the new files by default). */
  config?: string;
  /** Files of the test directory (sources), relative to it. */
  files?: Record<string, string>;
  /** Who runs the apply that fails: the user, or root for the user (the default: the user). */
  by?: 'user' | 'root';
}

interface State {
  store: string;
  home: string;
  a: string;
}

interface Outcome {
  first: ReturnType<typeof ran>;
  failed: ReturnType<typeof ran>;
  rerun: ReturnType<typeof ran>;
  before: State;
  after: State;
  final: State;
  generations: string[];
}

function run(s: Scenario): Outcome {
  const h = testHome();
  h.write('old.yaml', OLD.replaceAll('$DIR', h.dir));
  h.write('new.yaml', (s.config ?? NEW).replaceAll('$DIR', h.dir));
  for (const [rel, content] of Object.entries(s.files ?? {})) h.write(rel, content);
  const r = h.run([
    { do: 'sh', cmd: s.mount },
    use('old.yaml'),
    { do: 'user', args: ['home', 'apply'] },
    ...STATE,
    use('new.yaml'),
    { do: 'sh', cmd: s.fault },
    s.by === 'root'
      ? { do: 'root', args: ['home', 'apply', '--user', 'tester'] }
      : { do: 'user', args: ['home', 'apply'] },
    ...STATE,
    { do: 'sh', cmd: s.mend },
    { do: 'user', args: ['home', 'apply'] },
    ...STATE,
    { do: 'user', args: ['home', 'generations', '--json'] },
  ]);
  const state = (at: number): State => ({
    store: ran(r[at]).stdout,
    home: ran(r[at + 1]).stdout,
    a: ran(r[at + 2]).stdout,
  });
  const gens = JSON.parse(ran(r[17]).stdout.trim().split('\n').at(-1)!) as {
    generations: Array<{ number: number; state: string }>;
  };
  return {
    first: ran(r[2]),
    before: state(3),
    failed: ran(r[8]),
    after: state(9),
    rerun: ran(r[13]),
    final: state(14),
    generations: gens.generations.map((g) => `${g.number} ${g.state}`),
  };
}

/** The failure is loud and clear; the rerun applies the new files. */
function checkFailedThenMended(o: Outcome, reason: RegExp, place: RegExp) {
  assert.equal(o.first.status, 0, o.first.stdout + o.first.stderr);
  const f = o.failed;
  process.stdout.write(`# said: ${(f.stdout + f.stderr).trim().replaceAll('\n', ' | ')}\n`);
  assert.notEqual(f.status, 0, f.stdout);
  assert.match(f.stdout + f.stderr, reason);
  assert.match(f.stdout + f.stderr, place, 'the path is named');
  assert.doesNotMatch(f.stdout + f.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(f.stdout + f.stderr, /\.tmp\b|\.keepsake-[0-9a-f]/, 'no temporary name');
  assert.equal(o.before.a, 'old a');
  for (const st of [o.after, o.final]) {
    assert.doesNotMatch(st.store + st.home, /\.tmp\b|\.keepsake-[0-9a-f]/, 'nothing half-written');
    assert.doesNotMatch(st.home, /^dangling/m, 'no link leads nowhere');
  }
  assert.equal(o.rerun.status, 0, o.rerun.stdout + o.rerun.stderr);
  assert.equal(o.final.a, 'new a');
  assert.match(o.final.home, /\.\/\.c -> /);
  assert.match(o.final.home, /\.\/dir\/\.d -> /);
  assert.doesNotMatch(o.final.home, /\.\/\.b -> /);
  assert.equal(o.generations[0], '1 complete');
  assert.match(o.generations.at(-1)!, / complete$/);
}

/** The store refused the first write: nothing changed anywhere, and no generation was made. */
function checkUnchanged(o: Outcome) {
  assert.equal(o.after.store, o.before.store, 'the home store is as it was');
  assert.equal(o.after.home, o.before.home, 'the home is as it was');
  assert.equal(o.after.a, 'old a');
  assert.deepEqual(o.generations, ['1 complete', '2 complete'], 'the failed apply made none');
}

const STORE_TMPFS = (opts: string) =>
  `mount -n -t tmpfs -o ${opts},mode=0755,uid=${UID},gid=${UID} tmpfs "$DIR/store"`;

describe('home apply on a file system that refuses its writes', { skip }, () => {
  it('a full home store: fails naming it and ENOSPC before changing anything, and the rerun after freeing space applies', () => {
    const o = run({
      mount: STORE_TMPFS('size=256k'),
      fault: fillBlocks('$DIR/store'),
      mend: 'rm "$DIR/store/fill"',
    });
    checkFailedThenMended(
      o,
      /\(ENOSPC\)\n\s+hint: make room/,
      /in the home store \S+\/store\/hm: /,
    );
    checkUnchanged(o);
  });

  it('a full home store, applied by root for the user: the same, said through root', () => {
    const o = run({
      mount: STORE_TMPFS('size=256k'),
      fault: fillBlocks('$DIR/store'),
      mend: 'rm "$DIR/store/fill"',
      by: 'root',
    });
    checkFailedThenMended(
      o,
      /\(ENOSPC\)\n\s+hint: make room/,
      /in the home store \S+\/store\/hm: /,
    );
    checkUnchanged(o);
  });

  it('a full home store when only the record is new: the same', () => {
    const o = run({
      mount: STORE_TMPFS('size=256k'),
      fault: fillBlocks('$DIR/store'),
      mend: 'rm "$DIR/store/fill"',
      // Content already stored (.a as first applied): only the generation record is written.
      config: filesConfig('.a: { text: "old a" }'),
    });
    assert.match(
      o.failed.stderr,
      /cannot write \S+\/generations\/000002\.json in the home store \S+: no space left on device \(ENOSPC\)/,
    );
    assert.equal(o.after.store, o.before.store);
    assert.equal(o.after.home, o.before.home);
    assert.equal(o.rerun.status, 0, o.rerun.stdout + o.rerun.stderr);
    assert.doesNotMatch(o.final.home, /\.\/\.b -> /);
    assert.doesNotMatch(o.final.store, /\.tmp\b/);
    assert.deepEqual(o.generations, ['1 complete', '2 complete']);
  });

  it('a full home store when a whole directory is new: the same, and no part of its copy is left', () => {
    const o = run({
      mount: STORE_TMPFS('size=256k'),
      fault: fillBlocks('$DIR/store'),
      mend: 'rm "$DIR/store/fill"',
      // Stored whole, as one read-only copy written under a temporary name, then renamed.
      config: filesConfig('.a: { text: "old a" }', '.config/whole: { source: ./dotfiles/whole }'),
      files: { 'dotfiles/whole/one': 'one\n', 'dotfiles/whole/sub/two': 'two\n' },
    });
    assert.match(
      o.failed.stderr,
      /cannot write \S+\/files\/[0-9a-f]+-d in the home store \S+: no space left on device \(ENOSPC\)/,
    );
    assert.equal(o.after.store, o.before.store, 'no part of the copy is left');
    assert.equal(o.after.home, o.before.home);
    assert.equal(o.rerun.status, 0, o.rerun.stdout + o.rerun.stderr);
    assert.match(o.final.home, /\.\/\.config\/whole -> \S+\/files\/[0-9a-f]+-d$/m);
    assert.doesNotMatch(o.final.store, /\.tmp\b/);
    assert.deepEqual(o.generations, ['1 complete', '2 complete']);
  });

  it('a read-only home store: fails naming it and EROFS, nothing changes, and the rerun after remounting applies', () => {
    const o = run({
      mount: STORE_TMPFS('size=256k'),
      fault: 'mount -n -o remount,ro "$DIR/store"',
      mend: 'mount -n -o remount,rw "$DIR/store"',
    });
    checkFailedThenMended(o, /\(EROFS\)\n\s+hint: remount/, /the home store \S+\/store\/hm /);
    checkUnchanged(o);
  });

  it('a home with no inode left: the step that fails says so, the applied content stays, and the rerun after freeing space finishes', () => {
    const o = run({
      mount: `mount -n -t tmpfs -o size=256k,nr_inodes=64,mode=0700,uid=${UID},gid=${UID} tmpfs "$HOME_DIR"`,
      fault: fillInodes('$HOME_DIR'),
      mend: 'rm -f "$HOME_DIR"/fill-*',
    });
    checkFailedThenMended(
      o,
      /✗ link \S+ → \S+ \(no space left on device \(ENOSPC\)\)/,
      /stopped; run it again/,
    );
    // A home apply is not undone (each step is safe to repeat): the store keeps all of the
    // generation applied before, content and record, and the new one waits, pending.
    for (const line of o.before.store.split('\n')) assert.ok(o.after.store.includes(line), line);
    assert.ok(['old a', 'new a'].includes(o.after.a), 'whole, old or new');
  });
});
