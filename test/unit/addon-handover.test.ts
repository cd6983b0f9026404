// The launcher opens the addon once (bin/compile-cache.js) and hands it to the boot file
// (useLoadedAddon), which then uses it rather than looking for it again: only a whole addon,
// and only before anything has asked for the binding.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers/boot.js';

const BINDING = pathToFileURL(path.join(REPO, 'dist/src/system/binding.js')).href;
const COMPILE_CACHE = path.join(REPO, 'bin/compile-cache.js');

/** Runs `body` in a new process, where the binding module has its first state. */
function fresh(body: string): unknown {
  const script = `
    const { loadBinding, useLoadedAddon } = await import(${JSON.stringify(BINDING)});
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    ${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('the addon handed over by the launcher', () => {
  it('is the binding, the very object the launcher opened', () => {
    const result = fresh(`
      const cc = require(${JSON.stringify(COMPILE_CACHE)});
      const opened = cc.addon();
      useLoadedAddon(opened, cc.ADDON);
      console.log(JSON.stringify({ same: loadBinding().binding === opened, again: cc.addon() === opened }));`);
    assert.deepEqual(result, { same: true, again: true });
  });

  it('is refused when it lacks what the binding needs: the addon is loaded as usual', () => {
    const result = fresh(`
      useLoadedAddon({ mount() {} }, '/nowhere/keepsake_mount.node');
      const { binding } = loadBinding();
      console.log(JSON.stringify({ loaded: typeof binding?.flock === 'function' }));`);
    assert.deepEqual(result, { loaded: true });
  });

  it('changes nothing once the binding was asked for', () => {
    const result = fresh(`
      const first = loadBinding().binding;
      const other = { mount() {}, umount2() {}, flock() {} };
      useLoadedAddon(other, '/elsewhere');
      console.log(JSON.stringify({ kept: loadBinding().binding === first }));`);
    assert.deepEqual(result, { kept: true });
  });
});
