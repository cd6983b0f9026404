#!/usr/bin/env node
// Builds the native mount addon (build/Release/keepsake_mount.node) with node-gyp.
// Without --strict a failed build is only a warning: keepsake then falls back to mount(8).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const force = process.argv.includes('--force');
const output = path.join(root, 'build/Release/keepsake_mount.node');
const inputs = [
  'native/keepsake_mount.c',
  'native/list-dir.c',
  'native/shared.h',
  'native/steps.c',
  'native/digest.c',
  'native/runtime.c',
  'native/load-code.c',
  'native/file-ahead.c',
  'binding.gyp',
].map((f) => path.join(root, f));

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

function fail(reason, output = '') {
  if (strict) {
    if (output) process.stderr.write(output.endsWith('\n') ? output : `${output}\n`);
    console.error(`keepsake: native mount addon not built (${reason})`);
    process.exit(1);
  }
  console.warn(
    `keepsake: native mount addon not built (${reason}); keepsake will fall back to mount(8)`,
  );
  process.exit(0);
}

// npm's bundled node-gyp is the one most likely to match this Node; PATH is the fallback.
function findNodeGyp() {
  const bundled = path.join(
    path.dirname(process.execPath),
    '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  );
  if (existsSync(bundled)) return [process.execPath, [bundled]];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'node-gyp'))) return [path.join(dir, 'node-gyp'), []];
  }
  return null;
}

// The last compiler or gyp error line is the most useful one-line reason.
function lastErrorLine(text) {
  const lines = text.split('\n').map((l) => l.trim());
  const errors = lines.filter(
    (l) => /error/i.test(l) && !/^gyp ERR! (cwd|node -v|node-gyp -v|command|System|not ok)/.test(l),
  );
  return (
    errors.find((l) => /error:/.test(l)) ??
    errors[0] ??
    lines.filter(Boolean).pop() ??
    ''
  ).slice(0, 200);
}

if (process.platform !== 'linux') fail(`unsupported platform ${process.platform}`);
for (const input of inputs)
  if (!existsSync(input)) fail(`${path.relative(root, input)} is missing`);

const built = mtime(output);
if (!force && built > 0 && inputs.every((input) => mtime(input) < built)) process.exit(0);

const gyp = findNodeGyp();
if (!gyp) fail('node-gyp not found');
const [command, prefix] = gyp;
const args = [...prefix, 'rebuild'];
// Local headers avoid a download (which may be impossible offline).
if (existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');

const result = spawnSync(command, args, {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
  timeout: 5 * 60 * 1000,
});
const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
if (result.error) fail(`cannot run node-gyp: ${result.error.message}`, log);
if (result.status !== 0) {
  fail(`node-gyp exited with ${result.status ?? result.signal}: ${lastErrorLine(log)}`, log);
}
if (!existsSync(output))
  fail(`node-gyp succeeded but ${path.relative(root, output)} is missing`, log);
