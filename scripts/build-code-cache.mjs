#!/usr/bin/env node
// Makes V8's code cache of the boot path's file (dist/bundle/apply.cjs) for the Node that runs
// this, beside it: the first apply on this machine then compiles nothing (bin/compile-cache.js,
// installCodeCache). Run by the build and when keepsake is installed, like the native addon.
// Only Node 20 and 21 read it (newer ones keep their own, module.enableCompileCache). Never
// fails an install: without the cache, the first apply only compiles its code.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'dist/bundle/apply.cjs');
const nodeModule = createRequire(import.meta.url)('node:module');

if (typeof nodeModule.enableCompileCache === 'function') {
  process.exit(0); // this Node keeps compiled code itself
}
if (!existsSync(file)) {
  console.warn('keepsake: no code cache made (dist/bundle/apply.cjs is not built)');
  process.exit(0);
}
try {
  const { installCodeCache } = createRequire(import.meta.url)(
    path.join(root, 'bin/compile-cache.js'),
  );
  installCodeCache(file);
} catch (e) {
  console.warn(`keepsake: no code cache made (${e instanceof Error ? e.message : String(e)})`);
}
