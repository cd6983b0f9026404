// Node's compiled-code cache is run as it is read: keepsake keeps it only in a directory that
// nobody but root can write to, and never where a link or someone else's directory leads.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers/boot.js';

interface CompileCache {
  compileCacheDir(run: string, uid?: number): string | undefined;
  enableCompileCache(nodeModule: object, run: string, env?: object): string | undefined;
  requireCached(
    file: string,
    nodeModule: object,
    run: string,
    env?: object,
  ): { exports: Record<string, unknown>; save(): void; fromCache: boolean } | undefined;
}

const cache = (await import(
  pathToFileURL(path.join(REPO, 'bin/compile-cache.js')).href
)) as CompileCache;

describe('the compiled-code cache', () => {
  const made: string[] = [];
  after(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });
  /** A stand-in for /run: root's, 0755, in a temporary directory. */
  const runDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-run-'));
    fs.chmodSync(d, 0o755);
    made.push(d);
    return d;
  };

  it("lives in root's own runtime directory, made private", () => {
    const run = runDir();
    assert.equal(cache.compileCacheDir(run, 0), `${run}/keepsake/compile-cache`);
    const st = fs.lstatSync(`${run}/keepsake`);
    assert.ok(st.isDirectory());
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o700);
  });

  it('is not kept for anyone but root', () => {
    const run = runDir();
    assert.equal(cache.compileCacheDir(run, 1000), undefined);
    assert.equal(fs.existsSync(`${run}/keepsake`), false);
  });

  it('is not kept where others may write, or where a link or their directory leads', () => {
    const open = runDir();
    fs.chmodSync(open, 0o1777);
    assert.equal(cache.compileCacheDir(open, 0), undefined);
    assert.equal(fs.existsSync(`${open}/keepsake`), false);

    const elsewhere = runDir();
    const linked = runDir();
    fs.symlinkSync(elsewhere, `${linked}/keepsake`);
    assert.equal(cache.compileCacheDir(linked, 0), undefined);

    const theirs = runDir();
    fs.mkdirSync(`${theirs}/keepsake`, 0o700);
    fs.chownSync(`${theirs}/keepsake`, 1000, 1000);
    assert.equal(cache.compileCacheDir(theirs, 0), undefined);

    const wide = runDir();
    fs.mkdirSync(`${wide}/keepsake`);
    fs.chmodSync(`${wide}/keepsake`, 0o777);
    assert.equal(cache.compileCacheDir(wide, 0), undefined);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });

  it('is turned on only where Node has it, and never fails a run', () => {
    const run = runDir();
    assert.equal(cache.enableCompileCache({}, run, {}), undefined, 'Node 20: nothing to turn on');
    assert.equal(fs.existsSync(`${run}/keepsake`), false);
    const asked: string[] = [];
    const on = { enableCompileCache: (d: string) => asked.push(d) };
    assert.equal(cache.enableCompileCache(on, run, { KEEPSAKE_COMPILE_CACHE: '0' }), undefined);
    assert.deepEqual(asked, [], 'KEEPSAKE_COMPILE_CACHE=0 turns it off');
    const dir = cache.enableCompileCache(on, run, {});
    assert.deepEqual(asked, [`${run}/keepsake/compile-cache`]);
    assert.equal(dir, asked[0]);
    const failing = {
      enableCompileCache: () => {
        throw new Error('no space left');
      },
    };
    assert.equal(cache.enableCompileCache(failing, run, {}), undefined);
  });

  describe('kept by keepsake itself for the boot path on older Node', () => {
    /** A CommonJS file standing in for dist/bundle/apply.cjs. */
    const script = (dir: string, body: string) => {
      const file = path.join(dir, 'apply.cjs');
      fs.writeFileSync(file, body);
      return file;
    };
    const body =
      'exports.twice = (n) => n * 2; exports.dir = __dirname; exports.req = typeof require;';
    /**
     * One process loading `file` (V8 also keeps compiled code in memory, so only a new
     * process shows what the cache on disk gives), then saving the cache.
     */
    const load = (
      file: string,
      run: string,
      env: Record<string, string> = {},
      argv: string[] = [],
      bootFlags = false,
    ) => {
      const code = [
        "import * as nodeModule from 'node:module';",
        `const c = await import(${JSON.stringify(pathToFileURL(path.join(REPO, 'bin/compile-cache.js')).href)});`,
        // As the launcher does before it loads the boot file.
        bootFlags ? 'c.bootFlags();' : '',
        `const r = c.requireCached(${JSON.stringify(file)}, nodeModule, ${JSON.stringify(run)}, ${JSON.stringify(env)}, ${JSON.stringify(argv)});`,
        'console.log(JSON.stringify(r ? { fromCache: r.fromCache, installed: r.installed, twice: r.exports.twice(21), dir: r.exports.dir, req: r.exports.req, more: r.exports.more } : null));',
        'r?.save();',
      ].join('\n');
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as {
        fromCache: boolean;
        installed: boolean;
        twice: number;
        dir: string;
        req: string;
        more?: number;
      } | null;
    };

    it('is written after a run, read by the next, and gives the same module', () => {
      const run = runDir();
      const file = script(runDir(), body);
      const first = load(file, run)!;
      assert.deepEqual(first, {
        fromCache: false,
        installed: false,
        twice: 42,
        dir: path.dirname(file),
        req: 'function',
      });
      const kept = fs.readdirSync(`${run}/keepsake/compile-cache`);
      assert.equal(kept.length, 1);
      assert.ok(kept[0]!.includes(process.version), kept[0]);
      const st = fs.lstatSync(`${run}/keepsake/compile-cache/${kept[0]}`);
      assert.equal(st.mode & 0o777, 0o600);
      assert.deepEqual(load(file, run), { ...first, fromCache: true });
    });

    it('is not used when others may write it, when it is damaged, or for another text', () => {
      const run = runDir();
      const file = script(runDir(), body);
      load(file, run);
      const dir = `${run}/keepsake/compile-cache`;
      const kept = `${dir}/${fs.readdirSync(dir)[0]}`;
      fs.chmodSync(kept, 0o666);
      assert.equal(load(file, run)!.fromCache, false);
      fs.rmSync(kept);
      fs.writeFileSync(kept, 'not compiled code', { mode: 0o600 });
      const damaged = load(file, run)!;
      assert.equal(damaged.fromCache, false, 'V8 rejects it');
      assert.equal(damaged.twice, 42);
      assert.equal(load(file, run)!.fromCache, true, 'and it was written again');
      // Another text (another size and time): another name, so the old cache is never asked.
      script(path.dirname(file), `${body} exports.more = 1;`);
      const other = load(file, run)!;
      assert.equal(other.fromCache, false);
      assert.equal(other.more, 1);
    });

    it('is kept in the store that holds the configuration, for the next boot', () => {
      const run = runDir();
      const file = script(runDir(), body);
      const store = runDir();
      fs.mkdirSync(`${store}/.keepsake`, 0o700);
      const argv = ['node', 'keepsake', 'apply', '--config', `${store}/keepsake.yaml`];
      assert.equal(load(file, run, {}, argv)!.fromCache, false);
      assert.equal(fs.readdirSync(`${store}/.keepsake/compile-cache`).length, 1);
      assert.equal(fs.existsSync(`${run}/keepsake/compile-cache`), false, 'not in /run');
      // A boot: /run is empty, the store is not.
      assert.equal(load(file, runDir(), {}, argv)!.fromCache, true);
      assert.equal(
        load(file, runDir(), { KEEPSAKE_CONFIG: `${store}/keepsake.yaml` })!.fromCache,
        true,
      );

      // A store others may write to, or whose .keepsake is a link: /run instead.
      fs.chmodSync(`${store}/.keepsake`, 0o777);
      const other = runDir();
      assert.equal(load(file, other, {}, argv)!.fromCache, false);
      assert.equal(fs.readdirSync(`${other}/keepsake/compile-cache`).length, 1);
      fs.rmSync(`${store}/.keepsake`, { recursive: true });
      const elsewhere = runDir();
      fs.mkdirSync(`${elsewhere}/.keepsake`, 0o700);
      fs.symlinkSync(`${elsewhere}/.keepsake`, `${store}/.keepsake`);
      const third = runDir();
      assert.equal(load(file, third, {}, argv)!.fromCache, false);
      assert.equal(fs.existsSync(`${elsewhere}/.keepsake/compile-cache`), false);
      assert.equal(fs.readdirSync(`${third}/keepsake/compile-cache`).length, 1);
    });

    /** The cache keepsake's installation makes (scripts/build-code-cache.mjs), in a process of
     *  its own as there (it sets V8's flags), having run the module once. */
    const install = (file: string, acted = false) => {
      const code = [
        `const c = require(${JSON.stringify(path.join(REPO, 'bin/compile-cache.js'))});`,
        `c.installCodeCache(${JSON.stringify(file)}, require('node:module'), async (m) => { if (m.twice && m.twice(2) !== 4) throw new Error('not run'); }, { acted: ${acted} }).then((f) => console.log(f));`,
      ].join('\n');
      const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    /** Everything beside `file` but itself. */
    const beside = (file: string) =>
      fs.readdirSync(path.dirname(file)).filter((n) => n !== path.basename(file));

    it('made as keepsake is installed: read by the first run, which then keeps its own', () => {
      const run = runDir();
      const file = script(runDir(), body);
      const made = install(file);
      assert.deepEqual(beside(file), [path.basename(made)], 'one file, no temporary left');
      assert.equal(path.dirname(made), path.dirname(file));
      assert.ok(made.includes(process.version), made);
      assert.equal(fs.lstatSync(made).mode & 0o777, 0o644);
      const first = load(file, run, {}, [], true)!;
      assert.deepEqual(first, {
        fromCache: true,
        installed: true,
        twice: 42,
        dir: path.dirname(file),
        req: 'function',
      });
      // It lacks what only a real run compiles: the run keeps its own, which the next reads.
      assert.equal(fs.readdirSync(`${run}/keepsake/compile-cache`).length, 1);
      const next = load(file, run, {}, [], true)!;
      assert.equal(next.fromCache, true);
      assert.equal(next.installed, false, 'the kept one');
      // Made under the launcher's flags: a process without them is refused it by V8, where
      // the launcher sets any (V8 11 to 13), and compiles as if there were none.
      const major = Number(process.versions.v8.split('.')[0]);
      if (major >= 11 && major <= 13) {
        const unflagged = load(file, runDir(), {}, [])!;
        assert.equal(unflagged.fromCache, false);
        assert.equal(unflagged.twice, 42);
      }
      // A new text of the file: the cache of the old one is not read, and the next
      // installation removes it.
      fs.rmSync(file);
      script(path.dirname(file), `${body} exports.more = 1;`);
      const other = load(file, runDir(), {}, [], true)!;
      assert.equal(other.fromCache, false);
      assert.equal(other.more, 1);
      const again = install(file);
      assert.notEqual(again, made);
      assert.deepEqual(beside(file), [path.basename(again)]);
    });

    it("the installed cache is not read when others may write it, when it is not the file's owner's or a link, or damaged", () => {
      const file = script(runDir(), body);
      const made = install(file);
      const read = () => load(file, runDir(), {}, [], true)!.fromCache;
      assert.equal(read(), true);
      fs.chmodSync(made, 0o664);
      assert.equal(read(), false, 'group may write');
      fs.chmodSync(made, 0o644);
      fs.chownSync(made, 1000, 1000);
      assert.equal(read(), false, 'another owner');
      fs.chownSync(made, 0, 0);
      assert.equal(read(), true);
      // Nor when the file itself may be written by others: nothing beside it is trusted.
      fs.chmodSync(file, 0o666);
      assert.equal(read(), false, 'the file others may write');
      fs.chmodSync(file, 0o644);
      const aside = `${made}.aside`;
      fs.renameSync(made, aside);
      fs.symlinkSync(aside, made);
      assert.equal(read(), false, 'a link');
      fs.rmSync(made);
      fs.writeFileSync(made, 'not compiled code', { mode: 0o644 });
      const damaged = load(file, runDir(), {}, [], true)!;
      assert.equal(damaged.fromCache, false, 'V8 rejects it');
      assert.equal(damaged.twice, 42);
    });

    it('made by real applies: read by every run, which keeps none of its own', () => {
      const run = runDir();
      const file = script(runDir(), body);
      const made = install(file, true);
      assert.match(path.basename(made), /\.acted\.v8$/);
      assert.deepEqual(beside(file), [path.basename(made)]);
      for (let i = 0; i < 2; i++) {
        const r = load(file, run, {}, [], true)!;
        assert.deepEqual(
          { fromCache: r.fromCache, installed: r.installed, twice: r.twice },
          { fromCache: true, installed: true, twice: 42 },
        );
        assert.equal(fs.existsSync(`${run}/keepsake/compile-cache`), false, 'none kept');
      }
      // One that does not fit (made under other flags) is compiled anew, and the run keeps
      // its own, as without any.
      const unflagged = load(file, run, {}, [])!;
      const major = Number(process.versions.v8.split('.')[0]);
      if (major >= 11 && major <= 13) {
        assert.equal(unflagged.fromCache, false);
        assert.equal(fs.readdirSync(`${run}/keepsake/compile-cache`).length, 1);
      }
      // The one made by dry runs replaces it, and the next installation by real applies
      // replaces that.
      const dry = install(file);
      assert.deepEqual(beside(file), [path.basename(dry)]);
      const acted = install(file, true);
      assert.deepEqual(beside(file), [path.basename(acted)]);
    });

    it('the build makes it from runs of the boot file, and never fails for want of it', () => {
      // A copy of what the build script reads: itself, the launcher's files and the boot file.
      const copy = runDir();
      for (const d of ['scripts', 'dist/bundle']) fs.mkdirSync(`${copy}/${d}`, { recursive: true });
      fs.cpSync(path.join(REPO, 'bin'), `${copy}/bin`, { recursive: true });
      fs.copyFileSync(path.join(REPO, 'package.json'), `${copy}/package.json`);
      fs.copyFileSync(
        path.join(REPO, 'scripts/build-code-cache.mjs'),
        `${copy}/scripts/build-code-cache.mjs`,
      );
      const file = `${copy}/dist/bundle/apply.cjs`;
      fs.copyFileSync(path.join(REPO, 'dist/bundle/apply.cjs'), file);
      const temporaries = () =>
        fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('keepsake-code-cache-'));
      const before = temporaries();
      const build = () =>
        spawnSync(process.execPath, [`${copy}/scripts/build-code-cache.mjs`], {
          encoding: 'utf8',
        });
      const mounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
      const mountsBefore = mounts();
      const r = build();
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      const made = beside(file);
      assert.equal(made.length, 1, made.join(' '));
      assert.deepEqual(temporaries(), before, 'its temporary root is gone');
      assert.equal(mounts(), mountsBefore, 'nothing mounted here');
      // By real applies where this machine gives a user namespace of its own, else dry runs.
      const userns = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']);
      assert.match(made[0]!, userns.status === 0 ? /\.acted\.v8$/ : /-x64\.v8$|\d\.v8$/);
      // Exercised: it holds far more than the file's compiled top level.
      const exercised = fs.statSync(`${copy}/dist/bundle/${made[0]}`).size;
      const bare = fs.statSync(install(file)).size;
      assert.ok(exercised > 2 * bare, `${exercised} bytes against ${bare}`);
      if (userns.status === 0) {
        // Without unshare (a PATH without it), the build falls back to dry runs.
        const bin = runDir();
        fs.symlinkSync(process.execPath, `${bin}/node`);
        const dry = spawnSync(process.execPath, [`${copy}/scripts/build-code-cache.mjs`], {
          encoding: 'utf8',
          env: { ...process.env, PATH: bin },
        });
        assert.equal(dry.status, 0, dry.stderr);
        assert.equal(dry.stderr, '');
        const remade = beside(file);
        assert.equal(remade.length, 1, remade.join(' '));
        assert.doesNotMatch(remade[0]!, /\.acted\.v8$/);
        assert.deepEqual(temporaries(), before);
      }
      // A boot file that cannot run: a warning, and the install goes on.
      fs.writeFileSync(file, 'throw new Error("broken");');
      const broken = build();
      assert.equal(broken.status, 0);
      assert.match(broken.stderr, /no code cache made \(broken\)/);
      assert.deepEqual(temporaries(), before);
    });

    it('is never read for another text of the file, even of the same size, place and times', () => {
      // What V8 itself checks of a cache is the text's length: a one-character change keeps
      // it, and a file rewritten in place keeps its inode; npm gives every file one time.
      const run = runDir();
      const before = 'exports.twice = (n) => n * 2; exports.who = "';
      const file = script(runDir(), `${before}OLD";`);
      const made = install(file);
      assert.equal(load(file, run, {}, [], true)!.fromCache, true);
      assert.equal(load(file, run, {}, [], true)!.installed, false, 'the kept one next');
      const { mtime, atime, ino } = fs.statSync(file);
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, 'NEW', before.length);
      fs.closeSync(fd);
      fs.utimesSync(file, atime, mtime);
      assert.equal(fs.statSync(file).ino, ino);
      const after = load(file, run, {}, [], true)!;
      assert.equal(after.fromCache, false, 'neither the kept cache nor the installed one');
      assert.ok(fs.existsSync(made), 'the installed one is still there, for the old text');
      // And the next installation and run replace the caches of the old text.
      const again = install(file);
      assert.deepEqual(beside(file), [path.basename(again)]);
      assert.equal(fs.readdirSync(`${run}/keepsake/compile-cache`).length, 1);
    });

    it('the installed cache is not read through a hard link or from a directory others may write', () => {
      const file = script(runDir(), body);
      const made = install(file);
      const read = () => load(file, runDir(), {}, [], true)!.fromCache;
      assert.equal(read(), true);
      const other = path.join(runDir(), 'other-name');
      fs.linkSync(made, other);
      assert.equal(read(), false, 'a file with two names');
      fs.rmSync(other);
      assert.equal(read(), true);
      fs.chmodSync(path.dirname(file), 0o775);
      assert.equal(read(), false, 'a directory its group may write');
      fs.chmodSync(path.dirname(file), 0o755);
      assert.equal(read(), true);
    });

    it('a cache that cannot be written whole leaves no part of itself', () => {
      const file = script(runDir(), body);
      // A limit on file size (the signal ignored, so that write(2) fails with EFBIG).
      const code = [
        `const c = require(${JSON.stringify(path.join(REPO, 'bin/compile-cache.js'))});`,
        `c.installCodeCache(${JSON.stringify(file)}, require('node:module'), async () => {}).then(() => console.log('made'), (e) => console.log(e.code));`,
      ].join('\n');
      const r = spawnSync(
        'sh',
        ['-c', `trap '' XFSZ; ulimit -f 1; exec ${JSON.stringify(process.execPath)} -e "$0"`, code],
        { encoding: 'utf8' },
      );
      assert.equal(r.stdout.trim(), 'EFBIG', r.stderr);
      assert.deepEqual(beside(file), [], 'no temporary file left');
    });

    it('is kept nowhere when turned off, or where others may write', () => {
      const run = runDir();
      const file = script(runDir(), body);
      assert.equal(load(file, run, { KEEPSAKE_COMPILE_CACHE: '0' }), null);
      assert.equal(fs.existsSync(`${run}/keepsake`), false);
      // Nowhere safe to keep it: compiled as always, and nothing written.
      const open = runDir();
      fs.chmodSync(open, 0o1777);
      assert.equal(load(file, open)!.fromCache, false);
      assert.equal(load(file, open)!.fromCache, false);
      assert.deepEqual(fs.readdirSync(open), []);
    });
  });

  it('is not needed to run: a launcher without compile-cache.js beside it still starts', () => {
    const copy = runDir();
    fs.mkdirSync(`${copy}/bin`);
    fs.copyFileSync(path.join(REPO, 'bin/keepsake.js'), `${copy}/bin/keepsake.js`);
    fs.copyFileSync(path.join(REPO, 'bin/package.json'), `${copy}/bin/package.json`);
    fs.copyFileSync(path.join(REPO, 'package.json'), `${copy}/package.json`);
    fs.symlinkSync(path.join(REPO, 'dist'), `${copy}/dist`);
    const r = spawnSync(process.execPath, [`${copy}/bin/keepsake.js`, '--version'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    // The boot path too (a plain apply; a dry run of a configuration that is not there).
    const apply = spawnSync(
      process.execPath,
      [`${copy}/bin/keepsake.js`, 'apply', '--dry-run', '--config', `${copy}/none.yaml`],
      { encoding: 'utf8' },
    );
    assert.equal(apply.status, 2, apply.stderr);
    assert.match(apply.stderr, /cannot read the configuration file/);
  });
});
