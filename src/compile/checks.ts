// Checks that generated units run at boot before they change anything, as `/bin/sh -c` command
// lines: they use only shell built-ins and /proc, so they work in the initrd as well. A check
// that fails fails its unit (listed by `systemctl --failed`), and what depends on it does not
// start; a Condition= or Assert= would leave no failed unit behind, and the boot would look fine.

import { mangle } from '../core/utab-line.js';
import { unitWord } from './escape.js';

const sh = (script: string, args: readonly string[]) =>
  ['/bin/sh', '-c', script, 'sh', ...args].map((w) => unitWord(w, { command: true })).join(' ');

/**
 * Exits 0 when every store lies on a file system mounted at the store or above it (other than
 * the root, $1): a store on the root itself is, on a volatile root, a directory in memory, and
 * everything written there would be gone at the next boot. Arguments after the root: pairs of
 * the store as /proc/self/mountinfo writes it, and as the message names it.
 */
const STORES_MOUNTED = [
  'root=$1; what=$2; shift 2',
  'while [ $# -gt 1 ]; do ok=',
  'while read -r _ _ _ _ m _; do [ "$m" = "$root" ] && continue; case "$1/" in "$m"/*) ok=1;; esac; done < /proc/self/mountinfo',
  '[ -n "$ok" ] || { printf "keepsake: the store %s is not a mounted file system: nothing is created or bound there (it would be lost at the next boot); mount it, then run: %s\\n" "$2" "$what" >&2; exit 1; }',
  'shift 2; done',
].join('; ');

/** ExecStartPre= value: the stores (booted-system paths, as this stage sees them) are mounted.
 *  `root`: the root as this stage sees it (`/`, or `/sysroot` in the initrd); `then`: what the
 *  administrator runs once the store is mounted. */
export function storesMountedCommand(
  stores: readonly string[],
  root: string,
  then: string,
): string {
  return sh(STORES_MOUNTED, [root, then, ...stores.flatMap((s) => [mangle(s), s])]);
}

/**
 * Exits 0 when nothing at the target ($1) would be hidden by a bind: it is missing, an empty
 * directory, or an empty file. Data there (written by a program before the bind, or left on a
 * persistent root) stays visible and the bind is not made; a link is never bound over.
 */
const TARGET_VACANT = [
  't=$1; why=',
  'if [ -L "$t" ]; then why="it is a symbolic link"',
  'elif [ -d "$t" ]; then for f in "$t"/* "$t"/.[!.]* "$t"/..?*; do if [ -e "$f" ] || [ -L "$f" ]; then why="the directory is not empty"; break; fi; done',
  'elif [ -s "$t" ]; then why="the file is not empty"',
  'elif [ -e "$t" ] && [ ! -f "$t" ]; then why="it is neither a file nor a directory"',
  'fi',
  '[ -z "$why" ] && exit 0',
  'printf "keepsake: %s already holds data (%s): %s is not bound over it, so that nothing is hidden; move the data into %s (or away), then systemctl start %s\\n" "$t" "$why" "$2" "$2" "$3" >&2',
  'exit 1',
].join('; ');

/** ExecStart= value: nothing at `target` would be hidden by binding `store` over it. */
export function targetVacantCommand(target: string, store: string, mountUnit: string): string {
  return sh(TARGET_VACANT, [target, store, mountUnit]);
}

/**
 * Exits 0 when the top mount at $1 is a tmpfs: systemd's own transient machine id, which
 * systemd-machine-id-commit writes to the file below. A stored id bound over it by keepsake is
 * already persistent, and the commit (which requires a tmpfs) has nothing to do.
 */
const TOP_IS_TMPFS = [
  't=',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  'while read -r _ _ _ _ m rest; do [ "$m" = "$1" ] && { t=${rest#* - }; t=${t%% *}; }; done < /proc/self/mountinfo',
  '[ "$t" = tmpfs ]',
].join('; ');

export function topIsTmpfsCommand(path: string): string {
  return sh(TOP_IS_TMPFS, [mangle(path)]);
}
