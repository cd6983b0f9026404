// Where each entry's paths live once the binds and links are in place, and which entries get
// a mount unit: the same topology the planner uses, without looking at the system.

import { ancestorsOf, baseName, isWithin, parentOf } from '../core/paths.js';
import type { PersistEntry } from '../model/types.js';
import {
  buildTopology,
  canonicalPath,
  directoryIndex,
  enclosingDirs,
  type Redirect,
} from '../plan/topology.js';

export interface Layout {
  /** Entries, parents before children. */
  ordered: readonly PersistEntry[];
  /** Entries a same-store parent bind already shows: no mount, no link of their own. */
  covered: ReadonlySet<string>;
  /** Entries that are bind-mounted, parents before children. */
  binds: PersistEntry[];
  /** Directory binds with nested entries from another store (mounted as slaves). */
  hostsForeign: ReadonlySet<string>;
  /** Where a path really lives once every bind and link is in place. */
  live(path: string): string;
  /** Where the entry's own target lives: enclosing binds and links followed, not its own. */
  liveTarget(entry: PersistEntry): string;
  /** The mount point of an entry: links followed, binds not (a mount lands on the bound tree). */
  mountPoint(entry: PersistEntry): string;
  /** The nearest bind (not `self`) whose target is `path` or lies above it. */
  bindAbove(path: string, self: PersistEntry): PersistEntry | undefined;
}

export function buildLayout(entries: readonly PersistEntry[]): Layout {
  const topo = buildTopology(entries);
  const redirects = new Map<string, Redirect>();
  const links = new Map<string, Redirect>();
  const binds: PersistEntry[] = [];
  for (const e of topo.ordered) {
    if (topo.covered.has(e.id)) continue;
    if (e.method === 'auto') binds.push(e);
    if (e.kind !== 'directory') continue;
    const r = { entry: e, from: e.target, to: e.store };
    redirects.set(e.target, r);
    if (e.method === 'symlink') links.set(e.target, r);
  }
  const boundDirs = directoryIndex(binds);
  const live = (path: string) => canonicalPath(redirects, path);
  const child = (map: Map<string, Redirect>, path: string) => {
    const parent = canonicalPath(map, parentOf(path));
    return parent === '/' ? `/${baseName(path)}` : `${parent}/${baseName(path)}`;
  };
  return {
    ordered: topo.ordered,
    covered: topo.covered,
    binds,
    hostsForeign: topo.hostsForeign,
    live,
    liveTarget: (e) => child(redirects, e.target),
    mountPoint: (e) => child(links, e.target),
    bindAbove(path, self) {
      const here = boundDirs.get(path);
      if (here && here !== self) return here;
      return enclosingDirs(boundDirs, path).find((d) => d !== self);
    },
  };
}

/**
 * The directories keepsake's outermost targets are made in (`/home/jane` for
 * `/home/jane/.ssh`), for `RequiresMountsFor=`: a file system mounted there during the boot
 * (a tmpfs `/home` in fstab) must be up before keepsake creates or binds anything in it, or it
 * lands on top and hides the binds. Only parents outside every entry: a parent that is itself
 * an entry's bind would make a cycle. A path already implied by a deeper one is left out
 * (`RequiresMountsFor=` covers every prefix).
 */
export function outerParents(entries: readonly PersistEntry[]): string[] {
  const dirs = new Set(entries.filter((e) => e.kind === 'directory').map((e) => e.target));
  const parents = new Set<string>();
  for (const e of entries) {
    if (ancestorsOf(e.target).some((a) => dirs.has(a))) continue;
    const parent = parentOf(e.target);
    if (parent !== '/') parents.add(parent);
  }
  const all = [...parents].sort();
  return all.filter((p) => !all.some((q) => q !== p && isWithin(q, p)));
}
