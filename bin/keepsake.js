#!/usr/bin/env node
// keepsake's launcher. CommonJS (bin/package.json), so that a plain apply, as every boot runs
// it, loads no ES module at all; everything else loads the bundle.
const nodeModule = require('node:module');
const path = require('node:path');

// Compiled code kept between runs, where the running Node has it (22.1 and newer) and a
// directory only root can write to exists (compile-cache.js): enabled before anything of
// keepsake is loaded, so that all of it is cached. Without it keepsake only starts slower.
function compileCache() {
  try {
    return require('./compile-cache.js');
  } catch {
    return undefined; // a copy of keepsake without the file still runs
  }
}
if (typeof nodeModule.enableCompileCache === 'function') {
  compileCache()?.enableCompileCache(nodeModule);
}

// A plain `keepsake apply` from the one file that holds all it needs (src/cli/boot.ts);
// anything else, or a copy of keepsake without that file, from the bundle.
const bootFile = path.join(__dirname, '../dist/bundle/apply.cjs');
let boot = null;
let saveCodeCache;
// A re-apply with nothing changed since an apply that planned nothing ends here, having loaded
// one small file (src/cli/settled.ts); undefined means plan as usual.
const settled = process.argv[2] === 'apply' ? settledApply() : undefined;
function settledApply() {
  let file;
  try {
    file = require('../dist/bundle/settled.cjs');
  } catch {
    return undefined; // a copy of keepsake without the file plans every time
  }
  return file.runIfSettled(process.argv);
}
if (settled !== undefined) {
  process.exitCode = settled;
} else if (process.argv[2] === 'apply') {
  if (typeof nodeModule.enableCompileCache !== 'function') {
    // Older Node: keepsake keeps V8's code cache of that file itself (compile-cache.js).
    try {
      const cached = compileCache()?.requireCached(
        bootFile,
        nodeModule,
        '/run',
        process.env,
        process.argv,
      );
      if (cached) ({ exports: boot, save: saveCodeCache } = cached);
    } catch {
      boot = null; // loaded the usual way below
    }
  }
  try {
    boot ??= require(bootFile);
  } catch (e) {
    if (e?.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes('apply.cjs')) throw e;
  }
}

async function run() {
  const plainApply = boot?.runIfPlainApply(process.argv);
  if (plainApply !== undefined) {
    // exitCode, not exit(): output still queued for a pipe must be written before Node leaves.
    process.exitCode = await plainApply;
    saveCodeCache?.();
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
