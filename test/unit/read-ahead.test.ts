// The addon's directory reader (native/list-dir.c) and its read-ahead: a second thread lists
// the directories a walk says it enters next. What the walk gets must be what a direct read
// gives, whatever the ids say; errors must be the direct read's; what waits to be asked for is
// bounded; and a directory swapped for a link, at the end of the path or anywhere below the
// walk's root, is never followed.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Aggregator } from '../../src/diff/aggregate.js';
import { directoryReader } from '../../src/diff/read-directory.js';
import { buildPruning } from '../../src/diff/scan.js';
import { Walk } from '../../src/diff/walk.js';
import { loadBinding, type MountBinding } from '../../src/system/binding.js';
import { readMountInfo } from '../../src/system/mountinfo.js';
import { skipUnlessCI } from '../helpers/ns-run.js';

const loaded = loadBinding();
const noAddon = loaded.binding?.readAhead ? null : 'the native addon (with readAhead) is not built';
const b = loaded.binding as Required<MountBinding>;
const ADVERSARY = path.resolve(import.meta.dirname, '../helpers/swap-adversary.js');

let base = '';
before(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-read-ahead-'));
});
after(() => {
  loaded.binding?.readAheadEnd?.();
  fs.rmSync(base, { recursive: true, force: true });
});

/** `count` directories under `at`, each with a mix of entries; their paths. */
function makeDirs(at: string, count: number): string[] {
  const dirs: string[] = [];
  for (let d = 0; d < count; d++) {
    const dir = path.join(at, `d${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < d % 7; f++) fs.writeFileSync(path.join(dir, `f${f}`), 'x'.repeat(f * d));
    if (d % 3 === 0) fs.mkdirSync(path.join(dir, 'sub'));
    if (d % 4 === 0) fs.symlinkSync('/etc', path.join(dir, 'link'));
    if (d % 5 === 0) fs.writeFileSync(Buffer.from(`${dir}/odd\xff`, 'latin1'), 'y');
    dirs.push(dir);
  }
  return dirs;
}

const bytesOf = (ab: ArrayBuffer) => Buffer.from(ab);

function errorOf(f: () => unknown): Record<string, unknown> {
  try {
    f();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { code: e.code, syscall: e.syscall, path: e.path, message: e.message };
  }
  return { thrown: false };
}

/**
 * Reads `dirs` ahead, over and over for 1.5 s, while the adversary swaps `swapped` for a link
 * to `elsewhere` (which holds `secret-marker`s): no listing may show one; a read may only
 * fail as a link or a gap makes it fail. Checks that both sides did enough to mean something.
 */
async function readWhileSwapping(
  dirs: string[],
  rootLength: number | undefined,
  swapped: string,
  elsewhere: string,
): Promise<void> {
  const stop = `${swapped}.stop`;
  const child = spawn(process.execPath, [ADVERSARY, swapped, elsewhere, stop], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const done = new Promise<number | null>((r) => child.on('exit', r));
  const marker = Buffer.from('secret-marker');
  let rounds = 0;
  let failures = 0;
  const until = Date.now() + 1500;
  try {
    while (Date.now() < until) {
      const first = b.readAhead(dirs, rootLength);
      for (const [k, d] of dirs.entries()) {
        try {
          const got = bytesOf(b.listDir(d, first + k, rootLength));
          assert.equal(got.indexOf(marker), -1, `${d} was listed through a link`);
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          const code = (error as NodeJS.ErrnoException).code ?? '';
          assert.ok(['ENOENT', 'ELOOP', 'ENOTDIR'].includes(code), `${d}: ${code}`);
          failures++;
        }
      }
      b.readAheadEnd();
      rounds++;
      if (rounds % 8 === 0) await new Promise((r) => setImmediate(r));
    }
  } finally {
    // The adversary stops, whatever was found: a test that failed must not leave it running.
    fs.writeFileSync(stop, '');
    b.readAheadEnd();
  }
  assert.equal(await done, 0);
  const { swaps } = JSON.parse(out) as { swaps: number };
  assert.ok(swaps > 20, `${swaps} swaps`);
  assert.ok(rounds > 20, `${rounds} rounds`);
  assert.ok(failures > 0, 'some reads met the link or the gap');
}

describe('reading ahead', { skip: skipUnlessCI(noAddon) }, () => {
  test('a listing read ahead is the one read directly, byte for byte', async () => {
    const dirs = makeDirs(path.join(base, 'same'), 300);
    const direct = dirs.map((d) => bytesOf(b.listDir(d)));
    for (const pause of [0, 20]) {
      const first = b.readAhead(dirs);
      assert.ok(first >= 0, 'the thread was started');
      if (pause > 0) await new Promise((r) => setTimeout(r, pause)); // some done, some not
      for (const [k, d] of dirs.entries()) {
        assert.ok(bytesOf(b.listDir(d, first + k)).equals(direct[k]!), `${d} after ${pause} ms`);
      }
      b.readAheadEnd();
    }
  });

  test('an id that is wrong, stale or not a task reads the path asked for', async () => {
    const [x, y] = makeDirs(path.join(base, 'ids'), 2) as [string, string];
    const [dx, dy] = [bytesOf(b.listDir(x)), bytesOf(b.listDir(y))];
    const first = b.readAhead([x, y]);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(bytesOf(b.listDir(y, first)).equals(dy), "y given x's id");
    assert.ok(bytesOf(b.listDir(x, first + 1)).equals(dx), "x given y's id");
    assert.ok(bytesOf(b.listDir(x, first)).equals(dx), 'x given its own id, already taken');
    b.readAheadEnd();
    assert.ok(bytesOf(b.listDir(y, first + 1)).equals(dy), 'an id from before the end');
    for (const id of [-1, 2 ** 40, Number.NaN, 0.5]) {
      assert.ok(bytesOf(b.listDir(x, id)).equals(dx), `id ${id}`);
    }
  });

  test('a directory that cannot be read fails as a direct read does', async () => {
    const at = path.join(base, 'errors');
    fs.mkdirSync(at);
    fs.writeFileSync(path.join(at, 'file'), '');
    fs.mkdirSync(path.join(at, 'real'));
    fs.symlinkSync('real', path.join(at, 'link'));
    const bad = ['missing', 'file', 'link', 'file/below'].map((n) => path.join(at, n));
    const direct = bad.map((p) => errorOf(() => b.listDir(p)));
    for (const e of direct) assert.notEqual(e.thrown, false);
    const first = b.readAhead(bad);
    await new Promise((r) => setTimeout(r, 20));
    for (const [k, p] of bad.entries()) {
      assert.deepEqual(
        errorOf(() => b.listDir(p, first + k)),
        direct[k],
        p,
      );
    }
    b.readAheadEnd();
  });

  test('what waits to be asked for is bounded', async () => {
    // 64 directories of 1,000 entries with long names: about 14 MB of listings in all.
    const at = path.join(base, 'bounded');
    const dirs: string[] = [];
    for (let d = 0; d < 64; d++) {
      const dir = path.join(at, `d${d}`);
      fs.mkdirSync(dir, { recursive: true });
      const one = path.join(dir, `${'n'.repeat(200)}0`);
      fs.writeFileSync(one, '');
      for (let f = 1; f < 1000; f++) fs.linkSync(one, path.join(dir, `${'n'.repeat(200)}${f}`));
      dirs.push(dir);
    }
    const direct = bytesOf(b.listDir(dirs[0]!));
    let total = 0;
    for (const d of dirs) total += b.listDir(d).byteLength;
    assert.ok(total > 13e6, `${total} bytes of listings`);
    const rss = process.memoryUsage().rss;
    const first = b.readAhead(dirs);
    await new Promise((r) => setTimeout(r, 400)); // time enough to read them all
    const grown = process.memoryUsage().rss - rss;
    assert.ok(grown < 6e6, `memory grew ${(grown / 1e6).toFixed(1)} MB while waiting`);
    // Asked for in turn, each is read (ahead or here) and whole.
    for (const [k, d] of dirs.entries()) {
      const got = b.listDir(d, first + k);
      assert.equal(new Uint32Array(got, 0, 1)[0], 1000, d);
      if (k === 0) assert.ok(bytesOf(got).equals(direct));
    }
    b.readAheadEnd();
  });

  test('as a user, a directory below one that may only be searched is read', () => {
    // Opening one component at a time must need no more than opening the path whole.
    const open = path.join(base, 'searchable');
    fs.mkdirSync(path.join(open, 'root/only-x/inner'), { recursive: true });
    fs.writeFileSync(path.join(open, 'root/only-x/inner/f'), 'x');
    fs.chmodSync(base, 0o755);
    fs.chmodSync(open, 0o755);
    fs.chmodSync(path.join(open, 'root/only-x'), 0o711);
    const root = path.join(open, 'root');
    const addon = path.resolve(import.meta.dirname, '../../../build/Release/keepsake_mount.node');
    const script = `const b = require(${JSON.stringify(addon)});
      const p = ${JSON.stringify(path.join(root, 'only-x/inner'))};
      const n = (ab) => new Uint32Array(ab, 0, 1)[0];
      const first = b.readAhead([p], ${Buffer.byteLength(root)});
      process.stdout.write(JSON.stringify([n(b.listDir(p, undefined, ${Buffer.byteLength(root)})), n(b.listDir(p, first, ${Buffer.byteLength(root)})), n(b.listDir(p))]));`;
    const r = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [1, 1, 1]);
  });

  test('a process with the thread at work or waiting ends as it would without it', () => {
    const dirs = makeDirs(path.join(base, 'ending'), 200);
    const addon = path.resolve(import.meta.dirname, '../../../build/Release/keepsake_mount.node');
    for (const how of ['exit', 'return', 'throw']) {
      // Hands over every directory and leaves at once, while the thread reads them; or reads
      // them all first, so that the thread waits for work when the process ends.
      const script = `const b = require(${JSON.stringify(addon)});
        const dirs = ${JSON.stringify(dirs)};
        const first = b.readAhead(dirs);
        if (${JSON.stringify(how)} === 'exit') process.exit(7);
        for (let k = 0; k < dirs.length; k++) b.listDir(dirs[k], first + k);
        if (${JSON.stringify(how)} === 'throw') throw new Error('thrown on purpose');`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.error, undefined, `${how}: ${r.error?.message}`);
      assert.equal(r.signal, null, `${how}: ended by ${r.signal}`);
      assert.equal(r.status, { exit: 7, return: 0, throw: 1 }[how], `${how}: ${r.stderr}`);
    }
  });

  test('many empty directories: each read once, in turn', async () => {
    const at = path.join(base, 'empty');
    const dirs: string[] = [];
    for (let d = 0; d < 10_000; d++) dirs.push(path.join(at, `e${d}`));
    fs.mkdirSync(at);
    for (const d of dirs) fs.mkdirSync(d);
    const first = b.readAhead(dirs);
    await new Promise((r) => setTimeout(r, 50));
    for (const [k, d] of dirs.entries()) {
      assert.equal(b.listDir(d, first + k).byteLength, 8, d);
    }
    b.readAheadEnd();
  });

  test("below the walk's root, no component is followed through a link", () => {
    const root = path.join(base, 'beneath');
    fs.mkdirSync(path.join(root, 'real/sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'real/sub/inside'), 'x');
    fs.symlinkSync('real', path.join(root, 'link'));
    fs.symlinkSync(base, path.join(base, 'alias'));
    const below = Buffer.byteLength(root);
    const real = bytesOf(b.listDir(path.join(root, 'real/sub')));
    assert.ok(bytesOf(b.listDir(path.join(root, 'real/sub'), undefined, below)).equals(real));
    // Without a root, only the last component is checked (as a path given by name is read).
    assert.ok(bytesOf(b.listDir(path.join(root, 'link/sub'))).equals(real));
    assert.equal(
      errorOf(() => b.listDir(path.join(root, 'link/sub'), undefined, below)).code,
      'ELOOP',
    );
    // The root itself is opened as named: a link above it is its own business.
    const via = path.join(base, 'alias', 'beneath');
    assert.ok(
      bytesOf(b.listDir(path.join(via, 'real/sub'), undefined, Buffer.byteLength(via))).equals(
        real,
      ),
    );
    // A root that does not end at a component's end is refused, not guessed at.
    assert.equal(
      errorOf(() => b.listDir(path.join(root, 'real/sub'), undefined, below + 2)).code,
      'EINVAL',
    );
    // Read ahead, the same; a task handed over with another root is read again with this one.
    const first = b.readAhead([path.join(root, 'link/sub'), path.join(root, 'real/sub')], below);
    assert.equal(errorOf(() => b.listDir(path.join(root, 'link/sub'), first, below)).code, 'ELOOP');
    assert.ok(bytesOf(b.listDir(path.join(root, 'real/sub'), first + 1, below)).equals(real));
    b.readAheadEnd();
    const again = b.readAhead([path.join(root, 'link/sub')]);
    assert.equal(errorOf(() => b.listDir(path.join(root, 'link/sub'), again, below)).code, 'ELOOP');
    b.readAheadEnd();
  });

  test('a walk beside a process that makes and removes directories: the rest counted exactly', async () => {
    const root = path.join(base, 'churning');
    const stable = makeDirs(path.join(root, 'stable'), 120);
    let files = 0;
    let bytes = 0;
    for (const d of stable) {
      for (const e of fs.readdirSync(d, { withFileTypes: true, encoding: 'buffer' })) {
        if (e.isDirectory()) continue;
        files++;
        bytes += fs.lstatSync(Buffer.concat([Buffer.from(`${d}/`), e.name])).size;
      }
    }
    const churn = path.join(root, 'churn');
    fs.mkdirSync(churn);
    const stop = path.join(base, 'churn-stop');
    // Makes directories of five files and removes them again, a few at a time.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const [dir, stop] = process.argv.slice(1); let n = 0;
         for (;;) {
           if (n % 16 === 0 && fs.existsSync(stop)) break;
           const d = dir + '/c' + n; fs.mkdirSync(d);
           for (let f = 0; f < 5; f++) fs.writeFileSync(d + '/f' + f, 'z');
           if (n >= 4) fs.rmSync(dir + '/c' + (n - 4), { recursive: true, force: true });
           n++;
         }
         process.stdout.write(String(n));`,
        churn,
        stop,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let made = '';
    writer.stdout.on('data', (d) => {
      made += d;
    });
    const done = new Promise<number | null>((r) => writer.on('exit', r));
    const { read, ahead } = directoryReader();
    let walks = 0;
    try {
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const w = new Walk(new Aggregator({ depth: 2, bootMs: 0 }), {
          read,
          ...(ahead ? { ahead } : {}),
          root,
          pruning: buildPruning(root, [], [], readMountInfo()),
          rules: [],
          showIgnored: false,
        });
        const node = w.run(root);
        const counted = node.children?.find((c) => c.path === '/stable');
        assert.equal(counted?.files, files, 'every file of the stable part, once');
        assert.equal(counted?.bytes, bytes);
        for (const e of w.result.errors) {
          assert.ok(e.path.startsWith('/churn/'), `${e.path}: ${e.reason}`);
          assert.match(e.reason, /ENOENT|ENOTDIR/, e.path);
        }
        walks++;
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      fs.writeFileSync(stop, '');
    }
    assert.equal(await done, 0);
    assert.ok(Number(made) > 50, `${made} directories made`);
    assert.ok(walks > 5, `${walks} walks`);
  });

  test('a directory above the one read, swapped for a link during reads, is never followed', async () => {
    const root = path.join(base, 'swap-above');
    const mid = path.join(root, 'mid');
    const dirs = makeDirs(mid, 40);
    // The same names elsewhere, each holding a file the walk must never see.
    const elsewhere = path.join(base, 'elsewhere-above');
    for (const d of dirs) {
      const twin = path.join(elsewhere, path.basename(d));
      fs.mkdirSync(twin, { recursive: true });
      fs.writeFileSync(path.join(twin, 'secret-marker'), 'x');
    }
    await readWhileSwapping(dirs, Buffer.byteLength(root), mid, elsewhere);
  });

  test('a directory swapped for a link while it waits is never followed', async () => {
    const elsewhere = path.join(base, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'secret-marker'), 'x');
    const dirs = makeDirs(path.join(base, 'swap'), 40);
    await readWhileSwapping(dirs, undefined, dirs[17]!, elsewhere);
  });

  test('the addon loaded twice in one process: both loads work, and the process ends cleanly', () => {
    // Each load registers the read-ahead thread's stop at teardown; Node aborts on a second
    // registration of the same hook, as the first one made it.
    const file = path.resolve(import.meta.dirname, '../../../build/Release/keepsake_mount.node');
    const dir = makeDirs(path.join(base, 'twice'), 1)[0]!;
    const child = `
      const a = { exports: {} }, b = { exports: {} };
      process.dlopen(a, ${JSON.stringify(file)});
      process.dlopen(b, ${JSON.stringify(file)});
      b.exports.readAhead([${JSON.stringify(dir)}], 0);
      const names = (x) => Object.keys(x.exports).sort().join(',');
      console.log(names(a) === names(b) && a.exports.sha256Hex(['abc']) === b.exports.sha256Hex(['abc']));
    `;
    const run = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'true');
  });
});
