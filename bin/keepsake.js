#!/usr/bin/env node
// Prefer the bundle (fast start-up); fall back to the compiled modules.
import * as nodeModule from 'node:module';

// Compiled code kept between runs, where the running Node has it (22.1 and newer) and a
// directory only root can write to exists (compile-cache.js): enabled before anything of
// keepsake is loaded, so that all of it is cached. Without it keepsake only starts slower.
// Node 20 has no such cache: nothing more is loaded there.
if (typeof nodeModule.enableCompileCache === 'function') {
  try {
    (await import('./compile-cache.js')).enableCompileCache(nodeModule);
  } catch {
    // A copy of keepsake without the file still runs.
  }
}
// A plain `keepsake apply`, as every boot runs it, from the one file that holds all it needs
// (src/cli/boot.ts); anything else, or a copy of keepsake without that file, from the bundle.
const bootFile = new URL('../dist/bundle/apply.cjs', import.meta.url).pathname;
let boot = null;
let saveCodeCache;
if (process.argv[2] === 'apply') {
  if (typeof nodeModule.enableCompileCache !== 'function') {
    // Older Node: keepsake keeps V8's code cache of that file itself (compile-cache.js).
    try {
      const cached = (await import('./compile-cache.js')).requireCached(
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
    boot ??= nodeModule.createRequire(import.meta.url)(bootFile);
  } catch (e) {
    if (e?.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes('apply.cjs')) throw e;
  }
}
const plainApply = boot?.runIfPlainApply(process.argv);
if (plainApply !== undefined) {
  // exitCode, not exit(): output still queued for a pipe must be written before Node leaves.
  process.exitCode = await plainApply;
  saveCodeCache?.();
} else {
  let main;
  try {
    ({ main } = await import('../dist/bundle/keepsake.js'));
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    ({ main } = await import('../dist/src/cli/entry.js'));
  }
  process.exitCode = await main(process.argv);
}
