#!/usr/bin/env node
// Makes V8's code cache of the boot path's file (dist/bundle/apply.cjs) for the Node that runs
// this, beside it, so that the first apply on this machine compiles little
// (bin/compile-cache.js, installCodeCache). Run by the build and when keepsake is installed,
// like the native addon. The code is compiled as the launcher compiles it and then exercised by
// dry runs of a small configuration in a temporary directory (they change nothing and need no
// privilege), so that the cache holds what a first apply runs before it acts. Only Node 20 and
// 21 read it (newer ones keep compiled code themselves, module.enableCompileCache). Never fails
// an install: without the cache, the first apply only compiles its code.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'dist/bundle/apply.cjs');
const require = createRequire(import.meta.url);
const nodeModule = require('node:module');

/** A configuration with an entry of each kind, and the accounts it names. */
const CONFIG = `persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/lib/app
      - { directory: /var/lib/private, user: root, group: root, mode: "0700" }
      - { directory: /srv/linked, method: symlink }
    files:
      - /etc/machine-id
      - { file: /etc/ssh/ssh_host_ed25519_key, parentDirectory: { mode: "0755" } }
    users:
      alice:
        directories: [ Documents, { directory: .ssh, mode: "0700" } ]
        files: [ .bashrc ]
`;

/** The dry runs, in a process of their own whose report nobody reads, in `dir`. */
async function train(dir) {
  try {
    mkdirSync(path.join(dir, 'etc'));
    mkdirSync(path.join(dir, 'persist'));
    writeFileSync(
      path.join(dir, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n',
    );
    writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nalice:x:1000:\n');
    const config = path.join(dir, 'persist/keepsake.yaml');
    writeFileSync(config, CONFIG);
    const { installCodeCache } = require(path.join(root, 'bin/compile-cache.js'));
    await installCodeCache(file, nodeModule, async (boot) => {
      for (const extra of [[], ['--json']]) {
        const argv = [process.execPath, 'keepsake', 'apply', '--dry-run', '--root', dir];
        await boot.runIfPlainApply([...argv, '--config', config, ...extra]);
      }
    });
    process.exitCode = 0;
  } catch (e) {
    // One line for the parent to pass on.
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

function warn(reason) {
  console.warn(`keepsake: no code cache made (${reason}); the first apply compiles its code`);
}

if (process.argv[2] === '--train') {
  await train(process.argv[3]);
} else if (typeof nodeModule.enableCompileCache !== 'function') {
  // Before the first build (npm's install step of a clone runs before its build) there is
  // nothing to cache yet: the build runs this again.
  if (existsSync(file)) {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('KEEPSAKE_')),
    );
    // The parent makes and removes the temporary root: a child that hangs is killed.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keepsake-code-cache-'));
    try {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--train', dir], {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        env: { ...env, NO_COLOR: '1' },
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
      if (r.error) warn(r.error.message);
      else if (r.status !== 0) warn(r.stderr.trim().split('\n')[0] || `status ${r.status}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
