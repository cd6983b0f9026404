// The root disk of a test machine: the cached image's /usr (hard-linked, so staging costs no
// copy), the freshly built keepsake with this machine's Node under /usr/local, the guest's probe
// and base units, and whatever a scenario adds. Only /usr is booted (the root is volatile), so
// only /usr goes on the disk.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stageKeepsake } from '../stage.js';
import { makeExt4, treeMiB } from './disk.js';
import { installGuestBase } from './guest.js';
import type { DebianImage } from './image.js';

/**
 * Builds `<work>/<name>.root.img`. `customize` gets the staged `/usr`; it must only add files
 * (existing ones are hard links into the cache; guest.ts's `writeNew` refuses to overwrite).
 */
export function buildRootDisk(
  image: DebianImage,
  work: string,
  name: string,
  customize: (usr: string) => void = () => {},
): string {
  const stage = path.join(work, `${name}.root`);
  const usr = path.join(stage, 'usr');
  fs.mkdirSync(stage);
  const cp = spawnSync('cp', ['-al', path.join(image.tree, 'usr'), usr], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(`cp -al ${image.tree}/usr: ${cp.stderr}`);
  stageKeepsake(path.join(usr, 'local'), { withNode: true });
  installGuestBase(usr, path.join(image.tree, 'etc'));
  customize(usr);
  const img = path.join(work, `${name}.root.img`);
  makeExt4(img, stage, { label: 'root', mib: Math.ceil(treeMiB(stage) * 1.2) + 128 });
  fs.rmSync(stage, { recursive: true, force: true });
  return img;
}

/** Builds `<work>/<name>.store.img`, an ext4 disk labelled `persist` holding `files`. */
export function buildStoreDisk(work: string, name: string, files: Record<string, string>): string {
  const dir = path.join(work, `${name}.store`);
  fs.mkdirSync(dir);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  const img = path.join(work, `${name}.store.img`);
  makeExt4(img, dir, { label: 'persist', mib: 64 });
  fs.rmSync(dir, { recursive: true, force: true });
  return img;
}
