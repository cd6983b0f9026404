// Rules that look at several entries at once. Each is a small function that returns the
// problems it finds; none throws, so one run reports every problem in the file.

import type { Diagnostic } from '../model/types.js';
import type { Accounts } from './accounts.js';
import { type Draft, where } from './draft.js';
import { formatMode } from './mode.js';
import { joinPath, relativeTo } from './paths.js';
import { quoted } from './quoted.js';
import { error, joinedPathLengths, reservedPaths } from './rules-paths.js';
import { closest } from './suggest.js';
import { MAX_ID } from './values.js';

export interface RuleContext {
  drafts: readonly Draft[];
  accounts: Accounts;
  /** Every storage location path in use. */
  stores: readonly string[];
}

export type Rule = (ctx: RuleContext) => Diagnostic[];

function warning(code: string, d: Draft, message: string, hint: string): Diagnostic {
  return { ...error(code, d, message, hint), severity: 'warning' };
}

/** The same target declared twice, wherever the two declarations are. */
export function duplicateTargets(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, Draft>();
  for (const d of ctx.drafts) {
    const earlier = first.get(d.target);
    if (earlier === undefined) {
      first.set(d.target, d);
      continue;
    }
    const kinds =
      earlier.kind === d.kind ? '' : ` (as a ${earlier.kind} there, as a ${d.kind} here)`;
    out.push(
      error(
        'duplicate-target',
        d,
        `${quoted(d.target)} is already declared at ${where(earlier.source)}${kinds}`,
        'keep only one of the two declarations; a path can be persisted from one place only',
      ),
    );
  }
  return out;
}

/** User and group names that `<root>/etc/passwd` and `<root>/etc/group` do not know. */
export function unknownAccounts(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of ctx.drafts) {
    const { owner, parents } = d;
    // Most entries name no account: no list of them is made.
    if (!owner.user && !owner.group && !parents.user && !parents.group) continue;
    for (const ref of [owner.user, owner.group, parents.user, parents.group]) {
      if (ref === undefined) continue;
      const { accounts } = ctx;
      const known = ref.of === 'user' ? accounts.uidOf(ref.value) : accounts.gidOf(ref.value);
      if (known !== undefined && known > MAX_ID) {
        out.push(
          error(
            'invalid-id',
            ref,
            `${ref.of} ${quoted(ref.value)} has the id ${known}, which is not a valid ${ref.of === 'user' ? 'uid' : 'gid'}: ids run from 0 to ${MAX_ID}`,
            `give the ${ref.of} a valid id, or name another`,
          ),
        );
        continue;
      }
      if (known !== undefined) continue;
      const file = ref.of === 'user' ? accounts.passwdFile : accounts.groupFile;
      const names = ref.of === 'user' ? accounts.userNames() : accounts.groupNames();
      const guess = typeof ref.value === 'string' ? closest(ref.value, names) : undefined;
      out.push(
        error(
          `unknown-${ref.of}`,
          ref,
          typeof ref.value === 'number'
            ? `${ref.value} is not a valid ${ref.of === 'user' ? 'uid' : 'gid'}`
            : `${ref.of} ${quoted(ref.value)} does not exist in ${file}`,
          guess !== undefined
            ? `did you mean ${quoted(guess)}? Otherwise create the ${ref.of}, or give a numeric ${ref.of === 'user' ? 'uid' : 'gid'}`
            : `create the ${ref.of} in ${file} first, or give a numeric ${ref.of === 'user' ? 'uid' : 'gid'}`,
        ),
      );
    }
  }
  return out;
}

/** Whether `inner` is already reachable through `outer`'s store (the same data, twice). */
function sameStore(outer: Draft, inner: Draft): boolean {
  const rel = relativeTo(inner.target, outer.target);
  return rel !== undefined && rel !== '' && inner.store === joinPath(outer.store, rel);
}

/**
 * Entries inside a directory entry. From the same store they are redundant (a warning); from
 * another store they are fine (mounted parent first), except through a symbolic link, or
 * inside a file.
 */
export function nestedEntries(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byTarget = new Map<string, Draft>();
  for (const d of ctx.drafts) if (!byTarget.has(d.target)) byTarget.set(d.target, d);
  for (const d of ctx.drafts) {
    let nearest = true;
    for (let p = parentOf(d.target); p !== undefined; p = parentOf(p)) {
      const outer = byTarget.get(p);
      if (outer === undefined) continue;
      if (outer.kind === 'file') {
        out.push(
          error(
            'inside-file',
            d,
            `${quoted(d.target)} lies inside ${quoted(outer.target)}, which is declared as a file at ${where(outer.source)}`,
            'a file cannot contain other paths: declare the outer path as a directory, or remove one of the entries',
          ),
        );
        break;
      }
      const same = sameStore(outer, d);
      if (outer.method === 'symlink' && !same) {
        out.push(
          error(
            'inside-symlink',
            d,
            `${quoted(d.target)} lies inside ${quoted(outer.target)}, which ${where(outer.source)} makes a symbolic link into ${outer.store}; keepsake does not mount or link through symbolic links`,
            `store it in the same place as its parent (remove it: it is already inside ${outer.store}), or give ${quoted(outer.target)} method: auto`,
          ),
        );
        break;
      }
      if (nearest && same) {
        out.push(
          warning(
            'nested-same-store',
            d,
            `${quoted(d.target)} is redundant: it lies inside ${quoted(outer.target)}, which is persisted from the same store by ${where(outer.source)}`,
            `remove it; its data is already kept at ${d.store} through the parent entry`,
          ),
        );
      }
      nearest = false;
    }
  }
  return out;
}

function parentOf(path: string): string | undefined {
  if (path === '/') return undefined;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * A target inside a store, or over one, would mount the store onto itself or hide it. Each
 * target looks up its own ancestors among the stores, and each store registers itself with its
 * ancestors: the work grows with the entries and the depth of their paths, not their product.
 */
export function targetsAndStores(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stores = new Set(ctx.stores);
  // For every directory above a store, the first store under it in sorted order.
  const storeBelow = new Map<string, string>();
  for (const store of [...ctx.stores].sort()) {
    for (let p = parentOf(store); p !== undefined; p = parentOf(p)) {
      if (!storeBelow.has(p)) storeBelow.set(p, store);
    }
  }
  for (const d of ctx.drafts) {
    let container: string | undefined;
    for (let p: string | undefined = d.target; p !== undefined; p = parentOf(p)) {
      if (stores.has(p) && (container === undefined || p < container)) container = p;
    }
    const below = storeBelow.get(d.target);
    if (container !== undefined && (below === undefined || container < below)) {
      out.push(
        error(
          'target-in-store',
          d,
          `${quoted(d.target)} lies inside the storage location ${container}; a store cannot be persisted into itself`,
          'declare the path as it appears on the booted system, not its copy in the store',
        ),
      );
    } else if (below !== undefined) {
      out.push(
        error(
          'store-under-target',
          d,
          `${quoted(d.target)} contains the storage location ${below}; persisting it would hide the store behind a mount`,
          `persist the directories under ${quoted(d.target)} that need it, or move the store elsewhere`,
        ),
      );
    }
  }
  return out;
}

/** A directory mode without search permission for its owner locks the owner out. */
export function unsearchableDirectories(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of ctx.drafts) {
    // Most entries set no mode: nothing to look at, and nothing made for them.
    if (d.owner.mode === undefined && d.parents.mode === undefined) continue;
    unsearchable(out, d, 'mode', d.kind === 'directory' ? d.owner.mode : undefined);
    unsearchable(out, d, 'parentDirectory.mode', d.parents.mode);
  }
  return out;
}

function unsearchable(out: Diagnostic[], d: Draft, what: string, mode: number | undefined) {
  if (mode === undefined || (mode & 0o100) !== 0) return;
  out.push(
    warning(
      'mode-not-searchable',
      d,
      `${what} ${formatMode(mode)} gives the owner no search (x) permission on a directory, so the owner cannot open it`,
      `add x for the owner, e.g. "${formatMode(mode | 0o100)}"`,
    ),
  );
}

/** Every cross-field rule, in the order their problems are reported. */
export const RULES: ReadonlyArray<Rule> = [
  duplicateTargets,
  unknownAccounts,
  nestedEntries,
  targetsAndStores,
  joinedPathLengths,
  reservedPaths,
  unsearchableDirectories,
];

export function runRules(ctx: RuleContext): Diagnostic[] {
  return RULES.flatMap((rule) => rule(ctx));
}
