#!/usr/bin/env node
// Makes V8's code cache of the boot path's file (dist/bundle/apply.cjs) for the Node that runs
// this, beside it, so that the first apply on this machine compiles little
// (bin/compile-cache.js, installCodeCache). Run by the build and when keepsake is installed,
// like the native addon. The code is compiled as the launcher compiles it and then exercised
// on a small configuration in a temporary directory: by real applies where a user namespace
// of its own can be had (`unshare --user --map-root-user --mount`: root there, with mounts
// that vanish with it, and nothing outside the directory touched), so that the cache holds
// what an apply that acts compiles; else by dry runs only (they change nothing and need no
// privilege), and the first apply then compiles the rest and keeps its own cache. Only Node
// 20 and 21 read it (newer ones keep compiled code themselves, module.enableCompileCache).
// Never fails an install: without the cache, the first apply only compiles its code.
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

/** What real applies can set up in a user namespace, where only root is mapped: no user's
 *  entries. */
const ROOTS_CONFIG = `persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/lib/app
      - { directory: /var/lib/private, user: root, group: root, mode: "0700" }
      - { directory: /srv/linked, method: symlink }
    files:
      - /etc/app.conf
      - { file: /etc/ssh/ssh_host_ed25519_key, parentDirectory: { mode: "0755" } }
`;

/** For the dry runs: an entry of each kind, a user's too, and the accounts it names. */
const CONFIG = `${ROOTS_CONFIG}      - /etc/machine-id
    users:
      alice:
        directories: [ Documents, { directory: .ssh, mode: "0700" } ]
        files: [ .bashrc ]
`;

/** A root for the runs in `dir`: accounts, a store, and the configuration `text` in it. */
function rootIn(dir, text) {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  mkdirSync(path.join(dir, 'persist'));
  writeFileSync(
    path.join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n',
  );
  writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nalice:x:1000:\n');
  const config = path.join(dir, 'persist/keepsake.yaml');
  writeFileSync(config, text);
  return config;
}

/**
 * The runs, in a process of their own whose report nobody reads, in `dir`: dry runs, and with
 * `act` (in a user and mount namespace of its own) real applies: one that acts and plans
 * again, and one that plans nothing.
 */
async function train(dir, act) {
  try {
    const config = rootIn(path.join(dir, 'dry'), CONFIG);
    const { installCodeCache } = require(path.join(root, 'bin/compile-cache.js'));
    await installCodeCache(
      file,
      nodeModule,
      async (boot) => {
        const run = async (args) => {
          const code = await boot.runIfPlainApply([process.execPath, 'keepsake', 'apply', ...args]);
          if (code !== 0) throw new Error(`a training apply ended with status ${code}`);
        };
        for (const extra of [[], ['--json']]) {
          await run(['--dry-run', '--root', path.join(dir, 'dry'), '--config', config, ...extra]);
        }
        if (!act) return;
        const real = path.join(dir, 'real');
        const rootsConfig = rootIn(real, ROOTS_CONFIG);
        // A file with its stored copy (bound), and one without (its copy is made).
        mkdirSync(path.join(real, 'persist/etc'));
        writeFileSync(path.join(real, 'persist/etc/app.conf'), 'kept\n');
        await run(['--root', real, '--config', rootsConfig]);
        rmSync(path.join(real, 'run/keepsake/settled.json'), { force: true });
        await run(['--json', '--keep-going', '--root', real, '--config', rootsConfig]);
      },
      { acted: act },
    );
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

/** Runs the training in a child (`prefix` before Node: unshare, for real applies) in a
 *  temporary root the parent makes and removes: a child that hangs is killed. */
function trainIn(prefix, act) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('KEEPSAKE_')),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keepsake-code-cache-'));
  try {
    const args = [process.execPath, fileURLToPath(import.meta.url), '--train', dir];
    const [command, ...rest] = [...prefix, ...args, ...(act ? ['--act'] : [])];
    const r = spawnSync(command, rest, {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...env, NO_COLOR: '1' },
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    if (r.error) return r.error.message;
    return r.status === 0 ? undefined : r.stderr.trim().split('\n')[0] || `status ${r.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--train') {
  await train(process.argv[3], process.argv[4] === '--act');
} else if (typeof nodeModule.enableCompileCache !== 'function') {
  // Before the first build (npm's install step of a clone runs before its build) there is
  // nothing to cache yet: the build runs this again.
  if (existsSync(file)) {
    // Real applies where a namespace of their own can be had; else (no unshare, user
    // namespaces not allowed here) dry runs.
    const namespace = [
      'unshare',
      '--user',
      '--map-root-user',
      '--mount',
      '--propagation',
      'private',
    ];
    if (trainIn(namespace, true) !== undefined) {
      const why = trainIn([], false);
      if (why !== undefined) warn(why);
    }
  }
}
