// Puts the built keepsake into a directory tree that a booted system sees as `/usr/local`
// (an nspawn `--bind-ro=STAGE:/usr/local`, or `<image>/usr/local` of a qemu image). Either
// from its Debian package (unpackKeepsake: the package's own /usr, launcher and all), or file
// by file (stageKeepsake): `lib/keepsake/` holds the bundle, the launcher and the native
// addon, `bin/keepsake` runs it with the Node found at `/usr/local/bin/node` or `/usr/bin/node`.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from `dist/test/boots/`). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** What a run that unpacks keepsake's package needs on this machine, or null. */
export function packageProblem(): string | null {
  for (const cmd of ['dpkg-deb', 'dpkg-shlibdeps', 'strip']) {
    const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
    if (r.error) return `${cmd} is missing, needed to build keepsake's package: ${r.error.message}`;
  }
  return null;
}

const debs = new Map<string, string>();

/**
 * keepsake's Debian package, built by scripts/package.mjs from the built tree (this one, or
 * the tree at `repo`) the first time it is asked for in this process, into a directory
 * removed when the process exits.
 */
export function keepsakePackage(repo = REPO): string {
  const known = debs.get(repo);
  if (known !== undefined) return known;
  const out = mkdtempSync(path.join(tmpdir(), 'keepsake-boot-deb-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, [path.join(repo, 'scripts/package.mjs'), '--out', out], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const built = r.stdout?.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !built.endsWith('.deb') || !existsSync(built))
    throw new Error(`scripts/package.mjs failed (${r.status}):\n${r.stdout}${r.stderr}`);
  debs.set(repo, built);
  return built;
}

/**
 * Unpacks keepsake's package (dpkg-deb -x, as dpkg would lay it out) into `<into>` and
 * returns its `usr` directory, to be seen as `/usr/local` by a booted system whose own `/usr`
 * is this machine's; the launcher is then `/usr/local/bin/keepsake`, the package's own, which
 * finds the rest from its real path. Node is the one on PATH, or `<usr>/bin/node` if asked.
 */
export function unpackKeepsake(into: string, opts: StageOptions = {}): string {
  const r = spawnSync('dpkg-deb', ['-x', keepsakePackage(opts.repo), into], {
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(`dpkg-deb -x failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  const usr = path.join(into, 'usr');
  if (opts.withNode) {
    copyFileSync(process.execPath, path.join(usr, 'bin/node'));
    chmodSync(path.join(usr, 'bin/node'), 0o755);
  }
  return usr;
}

export interface StageOptions {
  /** Also copy this machine's Node binary to `<dest>/bin/node` (for images without Node 20). */
  withNode?: boolean;
  /** The built keepsake tree whose package is unpacked (default: this one). */
  repo?: string;
}

/** Copies keepsake (built: `npm run build`) into `<dest>`; returns the launcher's path in the booted system. */
export function stageKeepsake(dest: string, opts: StageOptions = {}): string {
  const lib = path.join(dest, 'lib/keepsake');
  const bundle = path.join(REPO, 'dist/bundle/keepsake.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
  mkdirSync(path.join(lib, 'bin'), { recursive: true });
  mkdirSync(path.join(dest, 'bin'), { recursive: true });
  cpSync(path.join(REPO, 'dist/bundle'), path.join(lib, 'dist/bundle'), { recursive: true });
  // The launcher and what it loads before the bundle (compile-cache.js), as npm installs bin/.
  cpSync(path.join(REPO, 'bin'), path.join(lib, 'bin'), { recursive: true });
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
