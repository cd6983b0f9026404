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
 * Loads the CommonJS file `file` as require() would, with V8's code cache for it kept in the
 * store that holds the configuration `argv` names (see storeCacheDir), else in the cache
 * directory in /run, for a Node without enableCompileCache. The cache's name carries what the
 * compiled code depends on (the file's identity, size and time, and Node's version), so it is
 * never used for another text or by another V8; V8 rejects a cache that does not fit anyway,
 * and then the file is compiled as if there were none. Returns the module's exports and
 * `save`, to call once the run is done (the cache then holds every function the run
 * compiled) and `fromCache`; undefined when turned off or not root (the caller then
 * require()s).
 */
function requireCached(file, nodeModule, run = '/run', env = process.env, argv = []) {
  if (turnedOff(env) || process.geteuid?.() !== 0) return undefined;
  const st = fs.statSync(file);
  const name = `${path.basename(file)}-${st.dev}-${st.ino}-${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}.v8`;
  // Read from the store's cache, else from /run's; written, once the run is done, to the
  // store's (the first apply of a store makes its .keepsake meanwhile), else to /run's.
  const kept = (dir) =>
    dir !== undefined && ownAndPrivate(dir, 0) && rootsOwnFile(path.join(dir, name));
  const from = [storeCacheDir(argv, env), compileCacheDir(run)].find(kept);
  const cachedData = from ? fs.readFileSync(path.join(from, name)) : undefined;
  // As Node wraps a CommonJS file.
  const source = `(function (exports, require, module, __filename, __dirname) { ${fs.readFileSync(file, 'utf8')}\n});`;
  const script = new vm.Script(source, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {}, filename: file, id: file, loaded: false };
  const require = nodeModule.createRequire(file);
  script
    .runInThisContext()
    .call(module.exports, module.exports, require, module, file, path.dirname(file));
  module.loaded = true;
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  const save = () => {
    if (!fresh) return;
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
  return { exports: module.exports, save, fromCache: !fresh };
}

exports.compileCacheDir = compileCacheDir;
exports.enableCompileCache = enableCompileCache;
exports.requireCached = requireCached;
