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
 * its code cache is made and read under the same flags (V8 refuses a cache made under others);
 * a plain diff runs under them too.
 *
 * An apply keeps V8's young generation at the size it starts with (1 MiB a half) instead of
 * letting it grow to 16 MiB a half. Every page a process touches for the first time costs a
 * page fault, and the larger young generation is mostly such pages, touched once by a process
 * that lives for a fraction of a second: at 1,300 entries that was about 2,800 faults, more
 * than the extra collections cost (docs/speed.md has the measurements). V8 reads the growth
 * factor each time the young generation would grow; it reads the sizes only as it starts,
 * which is why this and not --max-semi-space-size. Only on the V8s of Node 20 to 24, which
 * have the flag: V8 would print an error for a flag it does not know.
 *
 * Both also keep one malloc arena for all of the process's threads (oneMallocArena in
 * native/runtime.c), set before keepsake starts a thread of its own.
 */
function bootFlags() {
  // Where the addon is not built, the process only keeps more memory.
  try {
    addon()?.oneMallocArena?.();
  } catch {
    // as without it
  }
  const major = Number(process.versions.v8.split('.')[0]);
  if (major < 11 || major > 13) return;
  const flag = '--semi-space-growth-factor=1';
  // Through the addon where it can: node:v8 loads Node's whole stream stack with it (several
  // milliseconds of every apply); the addon makes the same call into V8 (native/runtime.c).
  try {
    if (addon()?.setV8Flags?.(flag) === true) return;
  } catch {
    // node:v8, below
  }
  try {
    require('node:v8').setFlagsFromString(flag);
  } catch {
    // only slower
  }
}

/** Where the addon is, from the package root that holds this file. */
const ADDON = path.join(__dirname, '../build/Release/keepsake_mount.node');
let loadedAddon;
/**
 * keepsake's addon, or undefined where it is not built. Opened once, by process.dlopen, as
 * require() would open it but without looking the file up again at each call; the launcher
 * hands it to the boot file (useLoadedAddon in src/system/binding.ts), which then does not
 * look for it either.
 */
function addon() {
  if (loadedAddon === undefined) {
    const module = { exports: {} };
    try {
      process.dlopen(module, ADDON);
      loadedAddon = module.exports;
    } catch {
      loadedAddon = null;
    }
  }
  return loadedAddon ?? undefined;
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
 * The SHA-256 of bytes, from keepsake's addon (which the apply loads anyway: require() keeps
 * one copy), else from node:crypto.
 */
function sha256(bytes) {
  const native = addon();
  if (typeof native?.sha256Hex === 'function') return native.sha256Hex([bytes]);
  return require('node:crypto').createHash('sha256').update(bytes).digest('hex');
}

/** The wrapper Node puts around a CommonJS file's text, which keepsake's files are run in. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

/**
 * The file's text in Node's wrapper, read once, and the name of a code cache for exactly that
 * text. V8 checks only a source's length against a cache, so the name carries a digest of the
 * file's bytes (the text is what they decode to: another text is other bytes, so a file
 * replaced by another of the same size, place and times gets another name) and what the
 * compiled code depends on (Node's version); a cache is never used for another text or by
 * another Node. The bytes are hashed as read, not the text encoded again.
 * Through the addon where it can (readScript in native/load-code.c): one copy of the text,
 * which V8 reads where it lies, instead of a Buffer, its decoded string and the wrapped string
 * made of that (about 3 ms of every apply on the reference machine, docs/speed.md).
 */
function sourceOf(file) {
  let read;
  try {
    read = addon()?.readScript?.(file, WRAP_HEAD, WRAP_TAIL);
  } catch {
    read = undefined; // read below
  }
  let source;
  let digest;
  if (Array.isArray(read)) {
    [source, digest] = read;
  } else {
    const bytes = fs.readFileSync(file);
    digest = sha256(bytes);
    source = `${WRAP_HEAD}${bytes.toString('utf8')}${WRAP_TAIL}`;
  }
  const name = `${path.basename(file)}-${digest.slice(0, 32)}-${process.version}-${process.arch}.v8`;
  return { source, name };
}

/**
 * The bytes of a code cache from its open descriptor: mapped through the addon where it can
 * (mapFile in native/load-code.c: no copy made, which saves about 2 ms of every apply on the
 * reference machine), else read. Only for the files writeCache makes: never rewritten in place.
 */
function cacheBytes(fd) {
  try {
    const mapped = addon()?.mapFile?.(fd);
    if (mapped !== undefined) return mapped;
  } catch {
    // read below
  }
  return fs.readFileSync(fd);
}

/** The code cache `file` holds, opened without following a link; undefined when there is none. */
function readCacheFile(file) {
  let fd;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return cacheBytes(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces `dir/name` with `data`: a new file renamed over the old, never left half made. */
function writeCache(dir, name, data, mode) {
  const target = path.join(dir, name);
  const temp = `${target}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, data, { mode, flag: 'wx' });
    fs.renameSync(temp, target);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  // Those made for an earlier text of the file (or another Node) are never read again.
  const own = name.slice(0, name.indexOf('-') + 1);
  for (const other of fs.readdirSync(dir)) {
    if (other !== name && other.startsWith(own) && other.endsWith('.v8')) {
      const st = fs.lstatSync(path.join(dir, other), { throwIfNoEntry: false });
      if (st?.isFile()) fs.rmSync(path.join(dir, other), { force: true });
    }
  }
}

/**
 * The code cache made for `file` as it was built or installed (named `name`, beside it), when
 * it can be trusted as the file itself is: a regular file of the file's owner, with no other
 * name (a hard link), that nobody else may write to, in a directory nobody else may write to,
 * as the file must be; opened without following a link. Whoever could change it could change
 * the file, which root runs anyway.
 */
function installedCache(file, name) {
  const dir = path.dirname(file);
  const code = fs.lstatSync(file, { throwIfNoEntry: false });
  const where = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!code?.isFile() || (code.mode & 0o022) !== 0) return undefined;
  if (!where?.isDirectory() || (where.mode & 0o022) !== 0) return undefined;
  let fd;
  try {
    fd = fs.openSync(path.join(dir, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined; // none, or a link
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== code.uid || st.nlink !== 1) return undefined;
    return (st.mode & 0o022) === 0 ? cacheBytes(fd) : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Compiles `file` (`source`, its text in Node's wrapper: sourceOf) as require() would, with
 *  `cachedData` when given, and runs it. */
function compileAndRun(file, source, nodeModule, cachedData) {
  const script = new vm.Script(source, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  // A module object of Node's own class, as require() would make: the file reads Node's Module
  // class from it (module.constructor) rather than loading node:module (scripts/bundle.mjs).
  // `nodeModule` is that class where the launcher passes it, node:module's namespace where an
  // ES module does (its Module export); anything else gets a plain object.
  const Module = typeof nodeModule === 'function' ? nodeModule : nodeModule.Module;
  const module =
    typeof Module === 'function'
      ? new Module(file, null)
      : { exports: {}, id: file, loaded: false };
  module.filename = file;
  const require = nodeModule.createRequire(file);
  script
    .runInThisContext()
    .call(module.exports, module.exports, require, module, file, path.dirname(file));
  module.loaded = true;
  return { script, exports: module.exports };
}

/** The name of the installed cache made by a training that acted (see installCodeCache). */
function actedName(name) {
  return name.replace(/\.v8$/, '.acted.v8');
}

/**
 * Makes the code cache of `file` for this Node, beside it, for the first run on this machine:
 * `file` compiled as the launcher compiles it (under its flags, bootFlags), then `exercise`
 * run with its exports, so that the functions a run needs are compiled and kept. With
 * `acted`, the exercise was real applies (in a namespace of its own): the cache then holds
 * what an apply that acts, records and plans again compiles, and the runs that read it keep
 * none of their own (requireCached); without, only what a dry run compiles. A new file
 * renamed over the old. Returns the cache's path.
 */
async function installCodeCache(file, nodeModule, exercise, { acted = false } = {}) {
  bootFlags();
  const { source, name } = sourceOf(file);
  const { script, exports } = compileAndRun(file, source, nodeModule);
  await exercise(exports);
  const made = acted ? actedName(name) : name;
  writeCache(path.dirname(file), made, script.createCachedData(), 0o644);
  return path.join(path.dirname(file), made);
}

/**
 * Loads the CommonJS file `file` as require() would, with V8's code cache for it kept in the
 * store that holds the configuration `argv` names (see storeCacheDir), else in the cache
 * directory in /run, else the one made as keepsake was installed (installedCache), for a Node
 * without enableCompileCache. The cache's name carries what the compiled code depends on (a
 * digest of the file's text, and Node's version: sourceOf), so it is never used for another
 * text or by another V8; V8 rejects a cache that does not fit anyway, and then the file is
 * compiled as if there were none. Returns the module's exports; `save`, to call once the run is done (the
 * cache then holds every function the run compiled, kept in the store or /run unless one of
 * those was read); `fromCache`; and `installed` (the cache read was the installed one).
 * Undefined when turned off or not root (the caller then require()s).
 */
function requireCached(file, nodeModule, run = '/run', env = process.env, argv = []) {
  if (turnedOff(env) || process.geteuid?.() !== 0) return undefined;
  const { source, name } = sourceOf(file);
  // Read from the store's cache, else from /run's; written, once the run is done, to the
  // store's (the first apply of a store makes its .keepsake meanwhile), else to /run's.
  const kept = (dir) =>
    dir !== undefined && ownAndPrivate(dir, 0) && rootsOwnFile(path.join(dir, name));
  const from = [storeCacheDir(argv, env), compileCacheDir(run)].find(kept);
  // The installed cache made by real applies, else the one made by dry runs.
  const acted = from ? undefined : installedCache(file, actedName(name));
  const cachedData = from
    ? readCacheFile(path.join(from, name))
    : (acted ?? installedCache(file, name));
  const { script, exports } = compileAndRun(file, source, nodeModule, cachedData);
  const accepted = cachedData !== undefined && script.cachedDataRejected !== true;
  // The installed cache of dry runs lacks what only a real run compiles (acting, recording):
  // a run that read it keeps its own, as one that read none does.
  const keep = !accepted || (from === undefined && acted === undefined);
  const save = () => {
    if (!keep) return;
    const usable = (d) => (d !== undefined && privateDir(d) ? d : undefined);
    const dir = usable(storeCacheDir(argv, env)) ?? usable(compileCacheDir(run));
    if (dir === undefined) return;
    try {
      // A new file renamed over the old: a reader sees a whole cache or none.
      writeCache(dir, name, script.createCachedData(), 0o600);
    } catch {
      // A cache that cannot be kept only costs time.
    }
  };
  return { exports, save, fromCache: accepted, installed: accepted && from === undefined };
}

exports.ADDON = ADDON;
exports.addon = addon;
exports.bootFlags = bootFlags;
exports.compileCacheDir = compileCacheDir;
exports.installCodeCache = installCodeCache;
exports.enableCompileCache = enableCompileCache;
exports.requireCached = requireCached;
