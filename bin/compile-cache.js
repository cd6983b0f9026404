// Where keepsake keeps Node's compiled code between runs: Node 22.1 and newer have
// module.enableCompileCache; on older Node, keepsake keeps V8's code cache of the boot path's
// one file itself (requireCached). Compiled code read from a
// cache is run as it is: a directory someone else can write to would let them run code as root.
// So the cache lives only in a directory of the running user's own that nobody else may write
// to, checked without following links: for root, /run/keepsake (keepsake's own runtime directory,
// made 0700 here when /run is root's); for anyone else, none.
// CommonJS, like the launcher (bin/package.json).

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

/**
 * The V8 flags an apply runs under, set before the boot file (apply.cjs) is compiled, so that
 * its code cache is made and read under the same flags (V8 refuses a cache made under others).
 *
 * An apply keeps V8's young generation at the size it starts with (1 MiB a half) instead of
 * letting it grow to 16 MiB a half. Every page a process touches for the first time costs a
 * page fault, and the larger young generation is mostly such pages, touched once by a process
 * that lives for a fraction of a second: at 1,300 entries that was about 2,800 faults, more
 * than the extra collections cost (docs/speed.md has the measurements). V8 reads the growth
 * factor each time the young generation would grow; it reads the sizes only as it starts,
 * which is why this and not --max-semi-space-size. Only on the V8s of Node 20 to 24, which
 * have the flag: V8 would print an error for a flag it does not know.
 */
function bootFlags() {
  const major = Number(process.versions.v8.split('.')[0]);
  if (major < 11 || major > 13) return;
  try {
    require('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    // only slower
  }
}

/** True when `dir` is a real directory of `uid` that no one else may write to. */
function ownAndPrivate(dir, uid) {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  return st?.isDirectory() === true && st.uid === uid && (st.mode & 0o022) === 0;
}

/** The cache directory for this process, or undefined when there is no safe one. */
function compileCacheDir(run = '/run', uid = process.geteuid?.()) {
  if (uid !== 0 || !ownAndPrivate(run, 0)) return undefined;
  const own = `${run}/keepsake`;
  try {
    fs.mkdirSync(own, 0o700);
  } catch (e) {
    if (e?.code !== 'EEXIST') return undefined;
  }
  return ownAndPrivate(own, 0) ? `${own}/compile-cache` : undefined;
}

/** KEEPSAKE_COMPILE_CACHE=0 turns the cache off (the test suite does: it writes nothing
 *  outside temporary directories). */
function turnedOff(env) {
  return env.KEEPSAKE_COMPILE_CACHE === '0';
}

/** Turn the cache on where Node has it and a safe directory exists; never fails a run. */
function enableCompileCache(nodeModule, run = '/run', env = process.env) {
  if (typeof nodeModule.enableCompileCache !== 'function' || turnedOff(env)) return undefined;
  try {
    const dir = compileCacheDir(run);
    if (dir !== undefined) nodeModule.enableCompileCache(dir);
    return dir;
  } catch {
    // A cache that cannot be kept only costs time.
    return undefined;
  }
}

/** `dir`, made if missing (0700), when it is root's alone. */
function privateDir(dir) {
  try {
    fs.mkdirSync(dir, 0o700);
  } catch (e) {
    if (e?.code !== 'EEXIST') return false;
  }
  return ownAndPrivate(dir, 0);
}

/** The configuration file a command line names (`--config FILE`, `-c FILE`, `--config=FILE`),
 *  else KEEPSAKE_CONFIG. */
function configOf(argv, env) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config' || argv[i] === '-c') return argv[i + 1];
    if (argv[i].startsWith('--config=')) return argv[i].slice(9);
  }
  return env.KEEPSAKE_CONFIG || undefined;
}

/**
 * At boot /run is empty, but the store that holds the configuration is not: its `.keepsake`
 * directory (where the validated model is kept too) keeps the compiled code for the next
 * boot, under `compile-cache`. Trusted on the same terms as the model: the store and its
 * `.keepsake` are root's and nobody else may write to them, checked without following a link.
 */
function storeCacheDir(argv, env) {
  const config = configOf(argv, env);
  if (!config) return undefined;
  for (let dir = path.dirname(path.resolve(config)); ; dir = path.dirname(dir)) {
    if (ownAndPrivate(dir, 0) && ownAndPrivate(path.join(dir, '.keepsake'), 0)) {
      return path.join(dir, '.keepsake', 'compile-cache');
    }
    if (dir === '/') return undefined;
  }
}

/** A regular file of root's that no one else may write to. */
function rootsOwnFile(file) {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  return st?.isFile() === true && st.uid === 0 && (st.mode & 0o022) === 0;
}

/**
 * The name of a code cache for `file` as it is now. V8 checks only a source's length against
 * a cache, so the name carries what tells one text of the file from another (its identity,
 * size and time) and what the compiled code depends on (Node's version); a cache is never
 * used for another text or by another Node.
 */
function cacheName(file) {
  const st = fs.statSync(file);
  return `${path.basename(file)}-${st.dev}-${st.ino}-${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}.v8`;
}

/** The code cache made for `file` when keepsake was built or installed (installCodeCache). */
function installedCacheFile(file) {
  return path.join(path.dirname(file), cacheName(file));
}

/** The code itself, as require() compiles it: wrapped as Node wraps a CommonJS file. */
function wrappedSource(file) {
  return `(function (exports, require, module, __filename, __dirname) { ${fs.readFileSync(file, 'utf8')}\n});`;
}

/**
 * The code cache made for `file` as it was built or installed, when it can be trusted as the
 * file itself is: a regular file beside it, of the same owner, that nobody else may write to,
 * as `file` must be. Whoever could change it could change `file`, which root runs anyway (and
 * so could swap it between the check and the read).
 */
function installedCache(file) {
  const cache = installedCacheFile(file);
  const st = fs.lstatSync(cache, { throwIfNoEntry: false });
  const code = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st?.isFile() || !code?.isFile() || st.uid !== code.uid) return undefined;
  if ((st.mode & 0o022) !== 0 || (code.mode & 0o022) !== 0) return undefined;
  return fs.readFileSync(cache);
}

/** Compiles `file` as require() would (with `cachedData`, when given) and runs it. */
function compileAndRun(file, nodeModule, cachedData) {
  const script = new vm.Script(wrappedSource(file), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {}, filename: file, id: file, loaded: false };
  const require = nodeModule.createRequire(file);
  script
    .runInThisContext()
    .call(module.exports, module.exports, require, module, file, path.dirname(file));
  module.loaded = true;
  return { script, exports: module.exports };
}

/**
 * Makes the code cache of `file` for this Node, beside it, for the first run on this machine:
 * `file` compiled as the launcher compiles it (under its flags, bootFlags), then `exercise`
 * run with its exports, so that the functions a first run needs are compiled and kept (the
 * others stay for the first run to compile; it then keeps its own cache, see requireCached).
 * A new file renamed over the old. Returns the cache's path.
 */
async function installCodeCache(file, nodeModule, exercise) {
  bootFlags();
  const { script, exports } = compileAndRun(file, nodeModule);
  await exercise(exports);
  const cache = installedCacheFile(file);
  const temp = `${cache}.${process.pid}.tmp`;
  fs.writeFileSync(temp, script.createCachedData(), { mode: 0o644, flag: 'wx' });
  fs.renameSync(temp, cache);
  // Those made for an earlier text of the file (or another Node) are never read again.
  const own = `${path.basename(file)}-`;
  for (const name of fs.readdirSync(path.dirname(file))) {
    const other = path.join(path.dirname(file), name);
    if (other !== cache && name.startsWith(own) && name.endsWith('.v8'))
      fs.rmSync(other, { force: true });
  }
  return cache;
}

/**
 * Loads the CommonJS file `file` as require() would, with V8's code cache for it kept in the
 * store that holds the configuration `argv` names (see storeCacheDir), else in the cache
 * directory in /run, else the one made as keepsake was installed (installedCache), for a Node
 * without enableCompileCache. The cache's name carries what the compiled code depends on (the
 * file's identity, size and time, and Node's version), so it is never used for another text or
 * by another V8; V8 rejects a cache that does not fit anyway, and then the file is compiled as
 * if there were none. Returns the module's exports; `save`, to call once the run is done (the
 * cache then holds every function the run compiled, kept in the store or /run unless one of
 * those was read); `fromCache`; and `installed` (the cache read was the installed one).
 * Undefined when turned off or not root (the caller then require()s).
 */
function requireCached(file, nodeModule, run = '/run', env = process.env, argv = []) {
  if (turnedOff(env) || process.geteuid?.() !== 0) return undefined;
  const name = cacheName(file);
  // Read from the store's cache, else from /run's; written, once the run is done, to the
  // store's (the first apply of a store makes its .keepsake meanwhile), else to /run's.
  const kept = (dir) =>
    dir !== undefined && ownAndPrivate(dir, 0) && rootsOwnFile(path.join(dir, name));
  const from = [storeCacheDir(argv, env), compileCacheDir(run)].find(kept);
  const cachedData = from ? fs.readFileSync(path.join(from, name)) : installedCache(file);
  const { script, exports } = compileAndRun(file, nodeModule, cachedData);
  const accepted = cachedData !== undefined && script.cachedDataRejected !== true;
  // The installed cache lacks what only a real run compiles (acting, recording): a run that
  // read it keeps its own, as one that read none does.
  const keep = !accepted || from === undefined;
  const save = () => {
    if (!keep) return;
    const usable = (d) => (d !== undefined && privateDir(d) ? d : undefined);
    const dir = usable(storeCacheDir(argv, env)) ?? usable(compileCacheDir(run));
    if (dir === undefined) return;
    try {
      // A new file renamed over the old: a reader sees a whole cache or none.
      const cacheFile = path.join(dir, name);
      const temp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
      fs.renameSync(temp, cacheFile);
    } catch {
      // A cache that cannot be kept only costs time.
    }
  };
  return { exports, save, fromCache: accepted, installed: accepted && from === undefined };
}

exports.bootFlags = bootFlags;
exports.compileCacheDir = compileCacheDir;
exports.installCodeCache = installCodeCache;
exports.enableCompileCache = enableCompileCache;
exports.requireCached = requireCached;
