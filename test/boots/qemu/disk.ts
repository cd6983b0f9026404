// Disk images without mounting anything on this machine: an ext4 file system is made from a
// directory (`mke2fs -d`) and read back with debugfs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error}): ${r.stderr}`);
  }
  return r.stdout;
}

/** Size in MiB of the tree at `dir` (apparent size, as mke2fs copies it). */
export function treeMiB(dir: string): number {
  const out = run('du', ['-s', '--block-size=1M', '--apparent-size', dir]);
  return Number(out.split('\t')[0]);
}

/** A new ext4 image at `img` holding a copy of `dir` (owners and modes kept). */
export function makeExt4(img: string, dir: string, opts: { label: string; mib: number }): void {
  run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', opts.label, '-d', dir, img, `${opts.mib}M`]);
}

/** Runs one debugfs request against an image, read-only. */
function debugfs(img: string, request: string): { out: string; err: string } {
  const r = spawnSync('debugfs', ['-R', request, img], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`debugfs -R '${request}' ${img}: ${r.stderr}`);
  // debugfs reports a missing path on stderr and still exits 0; its banner goes there too.
  const err = r.stderr
    .split('\n')
    .filter((l) => l && !l.startsWith('debugfs '))
    .join('\n');
  return { out: r.stdout, err };
}

/** The content of a file in the image, or null when there is no such file. */
export function readFile(img: string, file: string): string | null {
  const { out, err } = debugfs(img, `cat "${file}"`);
  return err ? null : out;
}

export interface StatInfo {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size: number;
}

/** Type, mode, owner and size of a path in the image, or null when it does not exist. */
export function statPath(img: string, file: string): StatInfo | null {
  const { out, err } = debugfs(img, `stat "${file}"`);
  if (err) return null;
  const m = out.match(/Type:\s+(\S+)\s+Mode:\s+(\d+)/);
  const owner = out.match(/User:\s+(\d+)\s+Group:\s+(\d+)\s+(?:Project:\s+\d+\s+)?Size:\s+(\d+)/);
  if (!m || !owner) throw new Error(`debugfs stat "${file}": unexpected output\n${out}`);
  return {
    type: m[1]!,
    mode: m[2]!,
    uid: Number(owner[1]),
    gid: Number(owner[2]),
    size: Number(owner[3]),
  };
}

/** Names in a directory of the image (without `.` and `..`), or null when it does not exist. */
export function listDir(img: string, dir: string): string[] | null {
  const { out, err } = debugfs(img, `ls -p "${dir}"`);
  if (err) return null;
  // -p: /inode/mode/uid/gid/name/size/ per entry
  return out
    .split('\n')
    .map((l) => l.split('/')[5])
    .filter((n): n is string => n !== undefined && n !== '' && n !== '.' && n !== '..');
}

/**
 * Replaces (or creates) a file in the image, owned by root with mode 0644, through debugfs
 * (the image must not be in use). `scratch` is a directory for the content on its way in.
 */
export function replaceFile(img: string, file: string, content: string, scratch: string): void {
  const src = path.join(scratch, `debugfs-write-${process.pid}`);
  fs.writeFileSync(src, content, { mode: 0o644 });
  try {
    if (statPath(img, file)) run('debugfs', ['-w', '-R', `rm "${file}"`, img]);
    run('debugfs', ['-w', '-R', `write "${src}" "${file}"`, img]);
  } finally {
    fs.rmSync(src, { force: true });
  }
  if (readFile(img, file) !== content)
    throw new Error(`debugfs: ${file} was not written in ${img}`);
}

/** Whether the file system was unmounted cleanly (no journal left to replay, state clean). */
export function cleanlyUnmounted(img: string): { clean: boolean; state: string } {
  const out = run('dumpe2fs', ['-h', img]);
  const state = out.match(/^Filesystem state:\s+(.+)$/m)?.[1]?.trim() ?? '?';
  const features = out.match(/^Filesystem features:\s+(.+)$/m)?.[1] ?? '';
  return { clean: state === 'clean' && !features.includes('needs_recovery'), state };
}
