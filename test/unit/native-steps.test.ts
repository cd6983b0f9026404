// The native addon's runSteps (native/steps.c) called directly, in temp dirs: it returns the
// number of steps done, stops at the first step that fails and leaves nothing of it, never
// follows a link, and throws a TypeError (never crashes) on a malformed buffer. Mounts happen
// only in a child inside a private mount namespace (see ns-run.ts).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBinding, type MountBinding } from '../../src/system/binding.js';
import { nativeSteps } from '../../src/system/native-steps.js';
import {
  namespaceProblem,
  readChildJson,
  runInNamespace,
  skipUnlessCI,
} from '../helpers/ns-run.js';
import { treeLines } from '../helpers/tree.js';

const loaded = loadBinding();
const noAddon = loaded.binding?.runSteps ? null : 'the native addon (with runSteps) is not built';
const b = loaded.binding as Required<MountBinding>;
const child = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../helpers/native-steps-child.js',
);

let base: string;
let outside: string;
let savedUmask: number;

const buf = (...fields: (string | number)[]) => Buffer.from(`${fields.join('\0')}\0`);
const run = (...fields: (string | number)[]) => {
  const n = b.runSteps(buf(...fields), 0, 0, process.umask());
  b.resetSteps();
  return n;
};
const mkdir = (p: string, uid = 0, gid = 0, mode = 0o755) => ['d', p, uid, gid, mode];
const file = (p: string, content: string, uid = 0, gid = 0, mode = 0o644) => [
  'f',
  p,
  content,
  uid,
  gid,
  mode,
];
const link = (p: string, to: string, uid = 0, gid = 0) => ['l', p, to, uid, gid];

const tempDir = (prefix: string) =>
  fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `keepsake-${prefix}-`)));

beforeEach(() => {
  savedUmask = process.umask(0o027); // modes must come out exact regardless
  base = tempDir('native');
  outside = tempDir('native-outside');
  fs.mkdirSync(`${base}/real`);
  fs.writeFileSync(`${base}/real/file`, 'mine');
  fs.writeFileSync(`${outside}/keep`, 'outside');
  fs.symlinkSync(outside, `${base}/via`);
});

afterEach(() => {
  b?.resetSteps?.();
  process.umask(savedUmask);
  fs.rmSync(base, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('runSteps', { skip: noAddon ?? false }, () => {
  it('carries out every kind of step and returns how many it did', () => {
    fs.mkdirSync(`${base}/sgid`);
    fs.chownSync(`${base}/sgid`, 0, 4321);
    fs.chmodSync(`${base}/sgid`, 0o2775);
    const n = run(
      ...mkdir(`${base}/a`), // exact: mkdir alone makes it (umask 027 keeps 0750 whole)
      ...mkdir(`${base}/a/exact`, 0, 0, 0o750),
      ...mkdir(`${base}/a/user`, 1000, 100, 0o2700), // owner and set-id bit: not exact
      ...mkdir(`${base}/sgid/plain`, 0, 0, 0o755), // a set-group-id parent would pass its group
      ...file(`${base}/a/f`, 'content\n', 1000, 100, 0o640),
      ...file(`${base}/a/empty`, '', 0, 0, 0o600),
      ...link(`${base}/a/l`, '/persist/somewhere', 1000, 100),
    );
    assert.equal(n, 7);
    assert.deepEqual(treeLines(`${base}/a`), [
      'empty 100600 0:0 ',
      'exact 40750 0:0 ',
      'f 100640 1000:100 content\n',
      'l 120777 1000:100 -> /persist/somewhere',
      'user 42700 1000:100 ',
    ]);
    assert.equal(fs.statSync(`${base}/a`).mode & 0o7777, 0o755);
    const plain = fs.statSync(`${base}/sgid/plain`);
    assert.deepEqual([plain.uid, plain.gid, plain.mode & 0o7777], [0, 0, 0o755]);
  });

  it('stops at the first failing step and does nothing after it', () => {
    const n = run(
      ...mkdir(`${base}/one`),
      ...mkdir(`${base}/missing/two`),
      ...mkdir(`${base}/three`),
    );
    assert.equal(n, 1);
    assert.ok(fs.existsSync(`${base}/one`));
    assert.ok(!fs.existsSync(`${base}/missing`));
    assert.ok(!fs.existsSync(`${base}/three`));
  });

  it('leaves nothing of a failing step, and never acts through a link', () => {
    const long = 'n'.repeat(256);
    const failing: Array<[string, (string | number)[]]> = [
      ['missing parent', mkdir(`${base}/missing/d`)],
      ['a file where a directory is asked', mkdir(`${base}/real/file/d`)],
      ['a file as parent of a file', file(`${base}/real/file/f`, 'x')],
      ['an existing name (mkdir)', mkdir(`${base}/real`, 1000, 1000, 0o700)],
      ['an existing name (file)', file(`${base}/real/file`, 'overwritten', 1000, 1000, 0o600)],
      ['an existing name (link)', link(`${base}/real/file`, '/elsewhere')],
      ['a link as the parent (mkdir)', mkdir(`${base}/via/d`)],
      ['a link as the parent (file)', file(`${base}/via/f`, 'x')],
      ['a link as the parent (link)', link(`${base}/via/l`, '/x')],
      ['a link as a grandparent', mkdir(`${base}/via/keep/d`)],
      ['a link as the final name (file)', file(`${base}/via`, 'x')],
      ['a .. component', mkdir(`${base}/real/../escaped`)],
      ['a . component', mkdir(`${base}/./dot`)],
      ['a final ..', mkdir(`${base}/real/..`)],
      ['an empty component', mkdir(`${base}//empty`)],
      ['a trailing slash', mkdir(`${base}/trailing/`)],
      ['a relative path', mkdir('relative/d')],
      ['an empty path', mkdir('')],
      ['a component over NAME_MAX', mkdir(`${base}/${long}`)],
      ['an intermediate over NAME_MAX', mkdir(`${base}/${long}/d`)],
    ];
    for (const [what, step] of failing) {
      const before = [treeLines(base), treeLines(outside)];
      const cwd = process.cwd();
      process.chdir(base); // a relative path must not be taken from here either
      let n: number;
      try {
        n = run(...step, ...mkdir(`${base}/after`));
      } finally {
        process.chdir(cwd);
      }
      assert.equal(n, 0, `${what}: the step was carried out`);
      assert.deepEqual([treeLines(base), treeLines(outside)], before, `${what}: changed the tree`);
    }
    assert.ok(!fs.existsSync(path.join(os.tmpdir(), 'escaped')));
  });

  it('reaches directories it keeps open again after resetSteps', () => {
    // A directory kept open by one call, then replaced by another at the same path.
    const n1 = b.runSteps(buf(...mkdir(`${base}/k`), ...mkdir(`${base}/k/a`)), 0, 0, 0o027);
    assert.equal(n1, 2);
    fs.renameSync(`${base}/k`, `${outside}/moved`);
    fs.mkdirSync(`${base}/k`);
    // Without resetSteps the kept descriptor is used: the step lands in the directory that
    // was at that path before, wherever it is now. This is why every other operation of
    // the live system invalidates the kept directories (system.ts) before the next run.
    const stale = b.runSteps(buf(...mkdir(`${base}/k/a/stale`)), 0, 0, 0o027);
    assert.equal(stale, 1);
    assert.ok(fs.existsSync(`${outside}/moved/a/stale`), 'the kept descriptor was not used');
    assert.ok(!fs.existsSync(`${base}/k/a`));
    b.resetSteps();
    // After resetSteps, the path is reached again from the root, one component at a time.
    assert.equal(run(...mkdir(`${base}/k/a/fresh`)), 0); // base/k/a does not exist any more
    assert.equal(run(...mkdir(`${base}/k/fresh`)), 1);
    assert.ok(fs.existsSync(`${base}/k/fresh`));
    // A kept directory removed altogether: the step fails (ENOENT on an unlinked directory),
    // and makes nothing anywhere.
    b.runSteps(buf(...mkdir(`${base}/gone`), ...mkdir(`${base}/gone/x`)), 0, 0, 0o027);
    fs.rmSync(`${base}/gone`, { recursive: true });
    assert.equal(b.runSteps(buf(...mkdir(`${base}/gone/x/y`)), 0, 0, 0o027), 0);
    b.resetSteps();
    assert.ok(!fs.existsSync(`${base}/gone`));
  });

  it('keeps at most a bounded number of directories open, and stays correct beyond it', () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const start = fds();
    const steps: (string | number)[] = [];
    for (let i = 0; i < 200; i++)
      steps.push(...mkdir(`${base}/d${i}`), ...mkdir(`${base}/d${i}/s`));
    assert.equal(b.runSteps(buf(...steps), 0, 0, 0o027), 400);
    assert.ok(fds() - start <= 64, `${fds() - start} descriptors kept open`);
    const again: (string | number)[] = [];
    for (let i = 0; i < 200; i++) again.push(...mkdir(`${base}/d${i}/s/t`));
    assert.equal(b.runSteps(buf(...again), 0, 0, 0o027), 200);
    b.resetSteps();
    assert.equal(fds(), start);
    for (let i = 0; i < 200; i++) assert.ok(fs.existsSync(`${base}/d${i}/s/t`));
  });
});

describe('runSteps in a child', { skip: noAddon ?? false }, () => {
  it('throws a TypeError on a malformed buffer, and never crashes the process', () => {
    const r = spawnSync(process.execPath, [child, 'malformed'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = readChildJson<{
      cases: Record<string, { ok?: number; threw?: string; message?: string }>;
      left: string[];
    }>({ status: r.status, stdout: r.stdout, stderr: r.stderr });
    for (const name of [
      'notBuffer',
      'fewArgs',
      'idNotNumber',
      'unknownKind',
      'missingFields',
      'noFinalNul',
      'uidNotNumber',
      'uidEmpty',
      'uidTooLarge',
      'uidWraps',
      'uidNegative',
      'truncatedAfterGood',
      'bindMissingType',
    ]) {
      assert.equal(
        out.cases[name]?.threw,
        'TypeError',
        `${name}: ${JSON.stringify(out.cases[name])}`,
      );
    }
    assert.deepEqual(out.cases.empty, { ok: 0 });
    assert.deepEqual(out.cases.onlyNuls?.threw, 'TypeError');
    // A malformed buffer is refused whole: not even the well-formed steps before the
    // malformed one are carried out (their count could not be returned with the error).
    assert.deepEqual(out.left, []);
  });
});

const nsSkip = noAddon ?? skipUnlessCI(namespaceProblem());
describe('runSteps with mounts (private mount namespace)', { skip: nsSkip }, () => {
  const inNs = <T>(scenario: string) => {
    const r = runInNamespace(child, [scenario, base]);
    assert.equal(r.status, 0, r.stderr);
    return readChildJson<T>(r);
  };

  it('binds over an empty directory only, and reaches the mounted tree after its own bind', () => {
    const out = inNs<Record<string, unknown>>('binds');
    assert.deepEqual(out, {
      refused: 1,
      pointsAfterRefusal: 0,
      keptBelow: ['written-meanwhile'],
      first: 3,
      second: 1,
      seen: ['after-bind', 'after-reset'],
      fileSeen: 'store',
      viaLink: 0,
      viaLinkSource: 0,
      points: ['/tgt', '/tgt.file'],
      below: [],
      src: ['after-bind', 'after-reset'],
    });
    assert.deepEqual(fs.readdirSync(`${base}/elsewhere`), []);
  });

  it('a directory kept open then mounted over: resetSteps makes the next step reach the mount', () => {
    const out = inNs<Record<string, unknown>>('mounted-over');
    // Without resetSteps the step lands below the foreign mount, hidden by it: why system.ts
    // invalidates the kept directories whenever anything else ran in between.
    assert.deepEqual(out, {
      first: 1,
      stale: 1,
      fresh: 1,
      onMount: ['with-reset'],
      below: ['a', 'without-reset'],
    });
  });

  it('on a full file system: the failing step leaves nothing, the ones before it stay', () => {
    const out = inNs<{
      fileDone: number;
      afterFile: string[];
      dirsDone: number;
      names: string[];
      nonExact: number;
    }>('enospc');
    assert.equal(out.fileDone, 1);
    assert.deepEqual(out.afterFile, []);
    assert.ok(out.dirsDone > 0 && out.dirsDone < 20, `${out.dirsDone} of 20 made`);
    const made = out.names.filter((n) => n.startsWith('n'));
    assert.equal(made.length, out.dirsDone);
    assert.equal(out.nonExact, 0);
  });
});

describe('the steps as the executor hands them to the addon (nativeSteps)', () => {
  /** A binding that keeps what it was given and says it did `done` steps. */
  const recording = (done = 1) => {
    const given: string[] = [];
    const binding = {
      runSteps: (steps: Buffer) => {
        given.push(steps.toString('utf8'));
        return done;
      },
      resetSteps: () => {},
    } as unknown as MountBinding;
    return { given, steps: nativeSteps(binding)! };
  };

  it('each step its fields, each ended by a NUL, in the order native/steps.c reads', () => {
    const { given, steps } = recording(5);
    steps.run([
      { op: 'mkdir', path: '/a', uid: 0, gid: 0, mode: 0o755 },
      { op: 'create-file', path: '/a/f', content: 'x\ny', uid: 1000, gid: 100, mode: 0o640 },
      { op: 'symlink', path: '/a/l', to: '/persist/a/l', uid: 1000, gid: 1000 },
      { op: 'bind', source: '/persist/a', target: '/a', kind: 'directory' },
      { op: 'bind', source: '/persist/f', target: '/f', kind: 'file' },
    ]);
    assert.deepEqual(given, [
      `${[
        ...mkdir('/a'),
        ...file('/a/f', 'x\ny', 1000, 100, 0o640),
        ...link('/a/l', '/persist/a/l', 1000, 1000),
        ...['b', '/persist/a', '/a', 'd'],
        ...['b', '/persist/f', '/f', 'f'],
      ].join('\0')}\0`,
    ]);
  });

  it('stops before a step with a NUL byte of its own: that one stays on the JavaScript path', () => {
    for (const bad of [
      { op: 'mkdir', path: '/b\0c', uid: 0, gid: 0, mode: 0o755 },
      { op: 'create-file', path: '/b', content: 'a\0b', uid: 0, gid: 0, mode: 0o644 },
      { op: 'symlink', path: '/b', to: '/x\0', uid: 0, gid: 0 },
      { op: 'bind', source: '/p\0', target: '/b', kind: 'directory' },
      { op: 'bind', source: '/p', target: '\0/b', kind: 'file' },
    ] as const) {
      const { given, steps } = recording();
      const done = steps.run([{ op: 'mkdir', path: '/a', uid: 0, gid: 0, mode: 0o755 }, bad]);
      assert.deepEqual(given, [`${mkdir('/a').join('\0')}\0`], bad.op);
      assert.equal(done, 1);
      const none = recording();
      assert.equal(none.steps.run([bad]), 0, 'nothing to hand over');
      assert.deepEqual(none.given, []);
    }
  });
});
