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
const require = nodeModule.createRequire(import.meta.url);
let boot = null;
try {
  boot = require('../dist/bundle/apply.cjs');
} catch (e) {
  if (e?.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes('apply.cjs')) throw e;
}
const plainApply = boot?.runIfPlainApply(process.argv);
if (plainApply !== undefined) {
  // exitCode, not exit(): output still queued for a pipe must be written before Node leaves.
  process.exitCode = await plainApply;
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
