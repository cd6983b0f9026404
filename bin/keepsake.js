#!/usr/bin/env node
// keepsake's launcher. CommonJS (bin/package.json), so that a plain apply, as every boot runs
// it, loads no ES module at all; everything else loads the bundle.
// Node's Module class, which require('node:module') is too; read from this module's own
// object, because loading node:module brings in Node's ES module loader and source maps with it
// (0.4 ms of every run, for nothing a plain apply uses).
const nodeModule = module.constructor;
const path = require('node:path');

// Compiled code kept between runs, where the running Node has it (22.1 and newer) and a
// directory only root can write to exists (compile-cache.js): enabled before anything of
// keepsake is loaded, so that all of it is cached. Without it keepsake only starts slower.
let compileCacheModule;
function compileCache() {
  if (compileCacheModule === undefined) {
    try {
      compileCacheModule = require('./compile-cache.js');
    } catch {
      compileCacheModule = null; // a copy of keepsake without the file still runs
    }
  }
  return compileCacheModule ?? undefined;
}
if (typeof nodeModule.enableCompileCache === 'function') {
  compileCache()?.enableCompileCache(nodeModule);
}

/**
 * A CommonJS file of keepsake's, on an older Node with V8's code cache that keepsake keeps
 * itself (compile-cache.js): { exports, save }, or undefined to require() it the usual way.
 */
function requireWithCache(file) {
  if (typeof nodeModule.enableCompileCache === 'function') return undefined;
  try {
    return compileCache()?.requireCached(file, nodeModule, '/run', process.env, process.argv);
  } catch {
    return undefined; // loaded the usual way
  }
}

/** The addon as compile-cache.js opened it, to a file of keepsake's that would otherwise look
 *  for it again (useLoadedAddon in src/system/binding.ts). */
function handOverAddon(exports) {
  const addon = compileCache()?.addon();
  if (addon) exports?.useLoadedAddon?.(addon, compileCache().ADDON);
}

// A re-apply with nothing changed since an apply that planned nothing ends here, having loaded
// one small file (src/cli/settled.ts); undefined means plan as usual.
const settled = process.argv[2] === 'apply' ? settledApply() : undefined;
function settledApply() {
  // No settled record where the command line puts the root (every boot): nothing to load.
  // A quick guess at --root; settled.cjs reads the command line as apply does.
  let root = '/';
  for (let i = 3; i < process.argv.length; i++) {
    const arg = process.argv[i];
    if (arg === '--root' || arg === '-r') root = process.argv[i + 1] ?? root;
    else if (arg.startsWith('--root=')) root = arg.slice(7);
  }
  if (!require('node:fs').existsSync(path.join(root, 'run/keepsake/settled.json'))) {
    return undefined;
  }
  const file = path.join(__dirname, '../dist/bundle/settled.cjs');
  let loaded = requireWithCache(file);
  try {
    loaded ??= { exports: require(file) };
  } catch {
    return undefined; // a copy of keepsake without the file plans every time
  }
  handOverAddon(loaded.exports);
  const code = loaded.exports.runIfSettled(process.argv);
  if (code !== undefined) loaded.save?.();
  return code;
}

/** The modules that make Node's standard streams: one of them loaded, a write may be queued. */
const STREAM_MODULES = new Set([
  'NativeModule net',
  'NativeModule tty',
  'NativeModule internal/fs/sync_write_stream',
]);

/**
 * Ends the process now, when nothing is left for it to do. Node's own way out takes its heap
 * apart first, a mapping at a time (some 40 munmap calls after an apply of 1,300 entries, 5 to
 * 8 ms), where exit(2) leaves all of it to the kernel at once. Invariant: no byte of output is
 * lost. Only when no standard stream of Node's was ever made (a plain apply writes with
 * write(2), src/system/stdout.ts; a stream for a pipe, a terminal or a file would have loaded
 * one of STREAM_MODULES) and nothing is pending (no handle, request or timer); 'exit'
 * listeners run as always. Anything else leaves the usual way.
 */
function leaveNow() {
  const loaded = process.moduleLoadList;
  if (!Array.isArray(loaded) || loaded.some((m) => STREAM_MODULES.has(m))) return;
  if (typeof process.getActiveResourcesInfo !== 'function') return;
  if (process.getActiveResourcesInfo().length !== 0) return;
  process.exit();
}

/** A CommonJS file of keepsake's, or null where this copy of keepsake has none. */
function requireIfThere(file) {
  try {
    return require(file);
  } catch (e) {
    if (e?.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes(path.basename(file))) {
      throw e;
    }
    return null;
  }
}

// A plain `keepsake apply` from the one file that holds all it needs (src/cli/boot.ts), a plain
// `keepsake diff` from its own (src/cli/fast-diff.ts); anything else, or a copy of keepsake
// without those files, from the bundle.
const bootFile = path.join(__dirname, '../dist/bundle/apply.cjs');
let boot = null;
let diff = null;
let saveCodeCache;
if (settled !== undefined) {
  process.exitCode = settled;
  leaveNow();
} else if (process.argv[2] === 'apply') {
  compileCache()?.bootFlags();
  const cached = requireWithCache(bootFile);
  if (cached) ({ exports: boot, save: saveCodeCache } = cached);
  boot ??= requireIfThere(bootFile);
  handOverAddon(boot);
} else if (process.argv[2] === 'diff') {
  // Its young generation kept small too: a diff's report is held to the end, and letting the
  // young generation grow around it made the peak 25 to 35 MB larger.
  compileCache()?.bootFlags();
  diff = requireIfThere(path.join(__dirname, '../dist/bundle/diff.cjs'));
}

async function run() {
  const plain = boot?.runIfPlainApply(process.argv) ?? diff?.runIfPlainDiff(process.argv);
  if (plain !== undefined) {
    // exitCode, not exit(): output still queued for a pipe must be written before Node leaves
    // (leaveNow leaves at once only where none can be).
    process.exitCode = await plain;
    saveCodeCache?.();
    leaveNow();
    return;
  }
  let main;
  try {
    ({ main } = await import('../dist/bundle/keepsake.js'));
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    ({ main } = await import('../dist/src/cli/entry.js'));
  }
  process.exitCode = await main(process.argv);
}
if (settled === undefined) {
  run().catch((e) => {
    // What the code above could not report: as an uncaught error would be.
    process.exitCode = 1;
    throw e;
  });
}
