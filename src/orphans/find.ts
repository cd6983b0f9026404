// Which store data nothing refers to. Pure: a function of the model, a listing of the stores
// (scan.ts) and the protected set (protected.ts). A path is referenced when it lies within a
// protected path, or is an ancestor of one (or of another storage location); the orphans are
// the top-most paths that are not. Inside a user's storage directory, what a user owns is
// listed but never root's to prune.

import { isWithin } from '../core/paths.js';
import type { Model } from '../model/types.js';
import type {
  Blocker,
  BlockerCode,
  ListedNode,
  Orphan,
  Protection,
  StoreListing,
  StoreScan,
  TreeTotals,
} from './types.js';

/** keepsake's own directory in each store. */
export const RECORDS_DIR = '.keepsake';
/** Home-file generations and content kept in a store for its users. */
export const HOME_RECORDS_DIR = '.keepsake-home';

export { childPath } from '../core/paths.js';

import { childPath } from '../core/paths.js';

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/**
 * Root deletes only inside directories root alone controls: in a tree a user can change, a
 * planted link or a swapped directory could turn a deletion against data the user cannot
 * otherwise touch. Returns the blocker for a directory that fails that test.
 */
export function controlBlocker(
  dir: string,
  uid: number,
  mode: number,
  code: Extract<BlockerCode, 'store-not-root' | 'parent-not-root'>,
): Blocker | undefined {
  const what = code === 'store-not-root' ? `the store ${dir}` : `it lies in ${dir}, which`;
  if (uid !== 0) {
    return {
      code,
      path: dir,
      message: `${what} belongs to uid ${uid}, and root does not delete inside a tree a user controls; delete it as that user`,
    };
  }
  if ((mode & 0o022) !== 0) {
    return {
      code,
      path: dir,
      message: `${what} can be written by its group or others (mode ${octal(mode)}), and root does not delete inside a tree others control`,
    };
  }
  return undefined;
}

export interface References {
  /** Protected paths: everything within one is referenced as a whole. */
  entries: string[];
  /** Protected paths, users' storage directories and storage locations: their ancestors are
   *  referenced. */
  anchors: string[];
  /** Storage locations: each is scanned on its own, never as part of another. */
  roots: Set<string>;
  /** Users' storage directories: what a user owns in one is not root's to delete. */
  userDirs: Protection[];
}

export function referencesOf(
  stores: readonly string[],
  protections: readonly Protection[],
): References {
  const entries = [...new Set(protections.filter((p) => p.scope === 'whole').map((p) => p.path))];
  const userDirs = protections.filter((p) => p.scope === 'user-owned');
  const roots = new Set(stores);
  return {
    entries,
    anchors: [...new Set([...entries, ...userDirs.map((u) => u.path), ...roots])],
    roots,
    userDirs,
  };
}

const isAncestorOfAny = (path: string, paths: readonly string[]) =>
  paths.some((p) => isWithin(p, path));

function emptyTotals(): TreeTotals {
  return { files: 0, directories: 0, bytes: 0, newestMs: 0, mounts: [], errors: [] };
}

/** Messages name a few; one is enough to protect the tree. */
const OWNED_KEPT = 3;

export function noteOwned(into: TreeTotals, owned: ReadonlyArray<{ path: string; uid: number }>) {
  into.owned ??= [];
  const list = into.owned;
  for (const o of owned) if (list.length < OWNED_KEPT) list.push(o);
}

/** Totals of a node and everything listed below it. */
function totalsOf(node: ListedNode, path: string, into: TreeTotals): void {
  into.newestMs = Math.max(into.newestMs, node.mtimeMs);
  if (node.uid !== 0) noteOwned(into, [{ path, uid: node.uid }]);
  if (node.kind !== 'directory') {
    into.files++;
    into.bytes += node.size;
    return;
  }
  into.directories++;
  if (node.mount) {
    into.mounts.push(path);
    return;
  }
  if (node.below) {
    into.files += node.below.files;
    into.directories += node.below.directories;
    into.bytes += node.below.bytes;
    into.newestMs = Math.max(into.newestMs, node.below.newestMs);
    into.mounts.push(...node.below.mounts);
    into.errors.push(...node.below.errors);
    if (node.below.owned) noteOwned(into, node.below.owned);
  }
  for (const child of node.children ?? []) totalsOf(child, childPath(path, child.name), into);
}

/** For root: a user's data in a user's storage directory is the user's to delete. */
function userBlocker(refs: References, path: string, t: TreeTotals, node: ListedNode) {
  const dir = refs.userDirs.find((u) => isWithin(path, u.path));
  if (!dir) return undefined;
  const owned = node.uid !== 0 ? { path, uid: node.uid } : t.owned?.[0];
  if (!owned) return undefined;
  const what = owned.path === path ? 'it belongs to' : `${owned.path} in it belongs to`;
  return {
    code: 'user-owned' as const,
    path: owned.path,
    message: `${what} uid ${owned.uid}, in ${dir.why} ${dir.path}, and root does not delete a user's data; delete it as that user`,
  };
}

function orphanOf(
  refs: References,
  store: string,
  node: ListedNode,
  path: string,
  inherited: Blocker[],
): Orphan {
  const t = emptyTotals();
  totalsOf(node, path, t);
  const blockers = [...inherited];
  const owned = userBlocker(refs, path, t, node);
  if (owned) blockers.push(owned);
  for (const m of t.mounts) {
    blockers.push(
      m === path
        ? {
            code: 'mount-point',
            path: m,
            message: `a file system is mounted at ${m}; prune never crosses a mount: unmount it first`,
          }
        : {
            code: 'holds-mount',
            path: m,
            message: `a file system is mounted inside it at ${m}; prune never crosses a mount: unmount it first`,
          },
    );
  }
  if (t.errors.length > 0) {
    blockers.push({
      code: 'unreadable',
      path,
      message: `parts of it could not be read (${t.errors.slice(0, 3).join('; ')})`,
    });
  }
  return {
    store,
    path,
    kind: node.kind,
    files: t.files,
    directories: t.directories,
    bytes: t.bytes,
    newest: new Date(t.newestMs).toISOString(),
    prunable: blockers.length === 0,
    ...(blockers.length > 0 ? { reason: blockers.map((b) => b.message).join('; ') } : {}),
    blockers,
    mounts: t.mounts,
  };
}

function orphansOfStore(scan: StoreScan, refs: References): Orphan[] {
  const root = scan.node;
  if (scan.state !== 'ok' || !root) return [];
  const storeBlocker = controlBlocker(scan.store, root.uid, root.mode, 'store-not-root');
  const found: Orphan[] = [];
  const visit = (dir: ListedNode, dirPath: string, inherited: Blocker[]) => {
    for (const child of dir.children ?? []) {
      const path = childPath(dirPath, child.name);
      if (refs.roots.has(path)) continue; // another storage location, scanned on its own
      if (refs.entries.some((s) => isWithin(path, s))) continue; // protected, whole
      if (isAncestorOfAny(path, refs.anchors)) {
        // Referenced as a way to an entry: what else it holds may be orphaned.
        if (child.kind !== 'directory' || !child.children) continue;
        const parent = controlBlocker(path, child.uid, child.mode, 'parent-not-root');
        visit(child, path, inherited.length > 0 || !parent ? inherited : [parent]);
        continue;
      }
      found.push(orphanOf(refs, scan.store, child, path, inherited));
    }
  };
  visit(root, scan.store, storeBlocker ? [storeBlocker] : []);
  return found.sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1));
}

/**
 * The top-most unreferenced paths in every scanned store: grouped by store (in listing
 * order), largest first. `protections` is the protected set (`protectedSet`).
 */
export function findOrphans(
  model: Model,
  listing: StoreListing,
  protections: readonly Protection[],
): Orphan[] {
  const refs = referencesOf([...model.stores, ...listing.stores.map((s) => s.store)], protections);
  return listing.stores.flatMap((scan) => orphansOfStore(scan, refs));
}
