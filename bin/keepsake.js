#!/usr/bin/env node
// Prefer the bundle (fast start-up); fall back to the compiled modules.
let main;
try {
  ({ main } = await import('../dist/bundle/keepsake.js'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  ({ main } = await import('../dist/src/cli/main.js'));
}
// exitCode, not exit(): output still queued for a pipe must be written before Node leaves.
process.exitCode = await main(process.argv);
