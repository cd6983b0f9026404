// Pure path arithmetic for normalised absolute paths. Everything that joins `--root` onto a
// system path, or walks up a path, goes through here.

/** `hostPath('/mnt/root', '/var/log')` → `/mnt/root/var/log`; root `/` leaves paths as they are. */
export function hostPath(root: string, path: string): string {
  if (root === '/') return path;
  return path === '/' ? root : root + path;
}

/** The parent of a normalised absolute path; `/` for `/` and top-level paths. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** True when `path` is `dir` or lies below it. */
export function isWithin(path: string, dir: string): boolean {
  if (dir === '/') return true;
  return path === dir || path.startsWith(`${dir}/`);
}

/** True when `child` lies strictly below `parent`. */
export function isInside(child: string, parent: string): boolean {
  if (parent === '/') return child !== '/';
  return child.startsWith(`${parent}/`);
}

/** Strict ancestors, from the top down: `/a/b/c` → `['/', '/a', '/a/b']`. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = parentOf(path); ; p = parentOf(p)) {
    out.push(p);
    if (p === '/') break;
  }
  return out.reverse();
}

/** `rebase('/a/b/c', '/a', '/x')` → `/x/b/c`. `path` must lie within `from`. */
export function rebase(path: string, from: string, to: string): string {
  const rest = from === '/' ? path : path.slice(from.length);
  if (rest === '' || rest === '/') return to;
  return to === '/' ? rest : to + rest;
}

/** Number of components: `/` → 0, `/a/b` → 2. Sorting by it puts parents before children. */
export function depthOf(path: string): number {
  if (path === '/') return 0;
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}

/** `childPath('/', 'a')` → `/a`; `childPath('/a', 'b')` → `/a/b`. */
export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** The machine's identity, which systemd writes at first boot and keepsake treats specially. */
export const MACHINE_ID = '/etc/machine-id';
