// Installs the built keepsake into a directory tree that a booted system sees as `/usr/local`
// (an nspawn `--bind-ro=STAGE:/usr/local`, or `<image>/usr/local` of a qemu image):
// `lib/keepsake/` holds the bundle, the launcher and the native addon, `bin/keepsake` runs it
// with the Node found at `/usr/local/bin/node` or `/usr/bin/node`.
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from `dist/test/boots/`). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface StageOptions {
  /** Also copy this machine's Node binary to `<dest>/bin/node` (for images without Node 20). */
  withNode?: boolean;
}

/** Copies keepsake (built: `npm run build`) into `<dest>`; returns the launcher's path in the booted system. */
export function stageKeepsake(dest: string, opts: StageOptions = {}): string {
  const lib = path.join(dest, 'lib/keepsake');
  const bundle = path.join(REPO, 'dist/bundle/keepsake.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
  mkdirSync(path.join(lib, 'bin'), { recursive: true });
  mkdirSync(path.join(dest, 'bin'), { recursive: true });
  cpSync(path.join(REPO, 'dist/bundle'), path.join(lib, 'dist/bundle'), { recursive: true });
  copyFileSync(path.join(REPO, 'bin/keepsake.js'), path.join(lib, 'bin/keepsake.js'));
  copyFileSync(path.join(REPO, 'package.json'), path.join(lib, 'package.json'));
  const addon = path.join(REPO, 'build/Release/keepsake_mount.node');
  if (existsSync(addon)) {
    mkdirSync(path.join(lib, 'build/Release'), { recursive: true });
    copyFileSync(addon, path.join(lib, 'build/Release/keepsake_mount.node'));
  }
  if (opts.withNode) {
    copyFileSync(process.execPath, path.join(dest, 'bin/node'));
    chmodSync(path.join(dest, 'bin/node'), 0o755);
  }
  const launcher = path.join(dest, 'bin/keepsake');
  writeFileSync(
    launcher,
    [
      '#!/bin/sh',
      'node=/usr/local/bin/node',
      '[ -x "$node" ] || node=/usr/bin/node',
      'exec "$node" /usr/local/lib/keepsake/bin/keepsake.js "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(launcher, 0o755);
  return '/usr/local/bin/keepsake';
}
