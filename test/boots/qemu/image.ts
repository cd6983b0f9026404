// The Debian system the qemu tier boots: a bookworm tree made by mmdebstrap, with the kernel and
// a small dracut initrd, cached under a directory named for a hash of everything that goes into
// it. A change to keepsake never rebuilds it: keepsake is staged when the root disk is made
// (root-disk.ts), from this tree.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const SUITE = 'bookworm';

const PACKAGES = [
  'linux-image-amd64',
  'dracut',
  'systemd-sysv',
  'udev',
  'kmod',
  'openssh-server',
  'e2fsprogs',
];

// The initrd holds only what a virtio boot needs: a generic one (every driver, every dracut
// module) is ten times bigger and makes each boot under emulation half a minute slower. It must
// be in place before the kernel package is installed, whose hook runs dracut.
const DRACUT_CONF = `hostonly="no"
drivers=" virtio_blk virtio_pci virtio_scsi ext4 "
dracutmodules=" systemd systemd-initrd dracut-systemd kernel-modules base fs-lib rootfs-block udev-rules shutdown "
`;

const EXCLUDES = [
  '/usr/share/man/*',
  '/usr/share/doc/*',
  '/usr/share/locale/*',
  '/usr/share/info/*',
];

/** Bumped when the way the tree is made changes in a way the inputs above do not show. */
const RECIPE_VERSION = 1;

export interface DebianImage {
  /** The root of the installed tree (only its /usr is booted: the root is volatile). */
  tree: string;
  kernel: string;
  initrd: string;
  /** The image came from the cache. */
  cached: boolean;
  /** Seconds spent building it (0 when cached). */
  buildSeconds: number;
}

/** The directory that holds built trees: KEEPSAKE_BOOT_CACHE, or one in the temp directory. */
export function cacheRoot(): string {
  return process.env.KEEPSAKE_BOOT_CACHE || path.join(os.tmpdir(), 'keepsake-boot-cache');
}

/**
 * The Debian mirror this machine's apt uses for the suite (deb822 `.sources` or one-line
 * `sources.list`), so the image comes from where the machine's own packages come from.
 */
export function debianMirror(): string {
  if (process.env.KEEPSAKE_BOOT_MIRROR) return process.env.KEEPSAKE_BOOT_MIRROR;
  const dir = '/etc/apt/sources.list.d';
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.sources') || f.endsWith('.list'))
        .map((f) => path.join(dir, f))
    : [];
  for (const file of ['/etc/apt/sources.list', ...files]) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const found = file.endsWith('.sources') ? fromDeb822(text) : fromOneLine(text);
    if (found) return found;
  }
  return 'http://deb.debian.org/debian';
}

function fromDeb822(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) =>
      stanza
        .match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1]
        ?.trim()
        .split(/\s+/) ?? [];
    if (field('Suites').includes(SUITE) && field('Types').includes('deb')) return field('URIs')[0];
  }
  return undefined;
}

function fromOneLine(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/);
    if (m && m[2] === SUITE) return m[1];
  }
  return undefined;
}

function recipe(mirror: string): string {
  return JSON.stringify({
    RECIPE_VERSION,
    SUITE,
    PACKAGES,
    DRACUT_CONF,
    EXCLUDES,
    mirror,
  });
}

/** The cached image for the current inputs, or null when it has not been built. */
export function cachedImage(): DebianImage | null {
  const dir = imageDir(debianMirror());
  return fs.existsSync(path.join(dir, 'complete')) ? describeImage(dir, true, 0) : null;
}

function imageDir(mirror: string): string {
  const hash = createHash('sha256').update(recipe(mirror)).digest('hex').slice(0, 16);
  return path.join(cacheRoot(), `debian-${SUITE}-${hash}`);
}

function describeImage(dir: string, cached: boolean, buildSeconds: number): DebianImage {
  const tree = path.join(dir, 'tree');
  const boot = fs.readdirSync(path.join(tree, 'boot'));
  const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
  const initrd = boot.find((f) => f.startsWith('initrd.img-'));
  if (!kernel || !initrd) throw new Error(`${tree}/boot holds no kernel and initrd: ${boot}`);
  return {
    tree,
    kernel: path.join(tree, 'boot', kernel),
    initrd: path.join(tree, 'boot', initrd),
    cached,
    buildSeconds,
  };
}

/**
 * The image for the current inputs: from the cache, or built now (a few minutes) and cached.
 * Trees of older inputs in the cache are removed once the new one is complete.
 */
export function debianImage(log: (line: string) => void = () => {}): DebianImage {
  const mirror = debianMirror();
  const dir = imageDir(mirror);
  if (fs.existsSync(path.join(dir, 'complete'))) return describeImage(dir, true, 0);
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const work = `${dir}.building-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work);
  const started = Date.now();
  log(`building the Debian image from ${mirror} (mmdebstrap) into ${work}`);
  const tree = path.join(work, 'tree');
  fs.mkdirSync(tree);
  const conf = path.join(work, 'dracut.conf');
  fs.writeFileSync(conf, DRACUT_CONF);
  const r = spawnSync(
    'env',
    [
      '-i',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      'LC_ALL=C.UTF-8',
      // mmdebstrap mounts /proc and /dev inside the tree: never in this machine's namespace.
      'unshare',
      '-m',
      '--propagation',
      'private',
      'mmdebstrap',
      '--mode=root',
      '--variant=apt',
      `--include=${PACKAGES.join(',')}`,
      ...EXCLUDES.map((p) => `--dpkgopt=path-exclude=${p}`),
      '--dpkgopt=path-include=/usr/share/doc/*/copyright',
      `--setup-hook=mkdir -p "$1/etc/dracut.conf.d" && cp '${conf}' "$1/etc/dracut.conf.d/10-virtio.conf"`,
      SUITE,
      tree,
      mirror,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 20 * 60_000 },
  );
  if (r.status !== 0) {
    const out = `${r.stdout}${r.stderr}`.split('\n').slice(-40).join('\n');
    fs.rmSync(work, { recursive: true, force: true });
    throw new Error(`mmdebstrap failed (${r.status ?? r.signal ?? r.error}):\n${out}`);
  }
  fs.writeFileSync(path.join(work, 'complete'), `${recipe(mirror)}\n`);
  fs.renameSync(work, dir);
  removeStale(dir);
  const seconds = (Date.now() - started) / 1000;
  log(`built the Debian image in ${seconds.toFixed(0)} s`);
  return describeImage(dir, false, seconds);
}

/** Removes trees of other inputs, and builds left behind by processes that are gone. */
function removeStale(current: string): void {
  for (const name of fs.readdirSync(cacheRoot())) {
    const full = path.join(cacheRoot(), name);
    if (!name.startsWith(`debian-${SUITE}-`) || full === current) continue;
    const builder = name.match(/\.building-(\d+)$/)?.[1];
    if (builder && alive(Number(builder))) continue;
    fs.rmSync(full, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
