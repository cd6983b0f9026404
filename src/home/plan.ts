// The home planner: a pure function of what is declared, what the earlier generations made and
// what is in the home now. Every target is checked and every collision collected before any
// action is planned to run, so a plan with problems changes nothing.

import { ancestorsOf, depthOf, isWithin } from '../core/paths.js';
import type {
  DesiredHome,
  DesiredLink,
  HomeAction,
  HomeObservation,
  HomePlan,
  HomeProblem,
  PathState,
  RecordedLink,
} from './types.js';

export interface HomeHistory {
  /** Links of the last complete generation and of every interrupted one after it. */
  links: RecordedLink[];
  directories: string[];
  /** Links of the last complete generation: what onChange compares content with. */
  complete: RecordedLink[];
}

export interface HomePlanOptions {
  /** keepsake's content area (`<state>/files`): a link into it is keepsake's own. */
  filesArea: string;
  backupExtension?: string;
}

const MISSING: PathState = { kind: 'missing' };

function describeState(s: PathState): string {
  switch (s.kind) {
    case 'link':
      return `a link to ${s.to}`;
    case 'file':
      return 'a file';
    case 'directory':
      return s.empty ? 'an empty directory' : 'a directory with content';
    default:
      return 'something';
  }
}

const byDepth = (a: string, b: string) => depthOf(a) - depthOf(b) || a.localeCompare(b);

export function planHome(
  desired: DesiredHome,
  history: HomeHistory,
  observed: HomeObservation,
  options: HomePlanOptions,
): HomePlan {
  const at = (p: string) => observed.paths[p] ?? MISSING;
  const oldPersist = new Set(history.links.filter((l) => l.kind === 'persist').map((l) => l.to));
  const owned = (to: string) => isWithin(to, options.filesArea) || oldPersist.has(to);
  const wanted = new Map(desired.links.map((l) => [l.target, l]));
  const problems: HomeProblem[] = [];
  const clear: HomeAction[] = [];
  const unlinks: HomeAction[] = [];
  const rmdirs = new Set<string>();
  const mkdirs = new Set<string>();
  const links: HomeAction[] = [];
  const notes: string[] = [];
  const recorded: RecordedLink[] = [];
  const oldDirs = new Set(history.directories);

  // Directories this generation needs: declared real ones and every parent of a target.
  const needed = new Set(desired.directories);
  for (const l of desired.links) {
    for (const a of ancestorsOf(l.target))
      if (isWithin(a, desired.home) && a !== desired.home) needed.add(a);
  }
  const dirs = new Set<string>();
  for (const d of [...needed].sort(byDepth)) {
    const s = at(d);
    if (s.kind === 'directory' || s.kind === 'bound') {
      if (oldDirs.has(d) || desired.directories.includes(d)) dirs.add(d);
      continue;
    }
    if (s.kind === 'link' && owned(s.to) && !wanted.has(d)) {
      // An earlier generation linked this directory whole; now its content is linked inside.
      unlinks.push({ kind: 'unlink', path: d, to: s.to });
    } else if (s.kind === 'link') {
      continue; // the user's own link to a directory is followed, as Home Manager does
    } else if (s.kind !== 'missing') {
      problems.push({
        code: 'parent-not-directory',
        path: d,
        message: `${d} is ${describeState(s)}, but home files are declared inside it`,
        hint: `move ${d} away, or remove the home files declared under it`,
      });
      continue;
    }
    mkdirs.add(d);
    dirs.add(d);
  }

  for (const l of desired.links) {
    const s = at(l.target);
    const record = () => recorded.push(toRecord(l));
    if (s.kind === 'bound') continue; // a persistence entry root has bind-mounted
    if (s.kind === 'link' && s.to === l.to) {
      record();
      continue;
    }
    if (l.storeDirectory) mkdirs.add(l.to);
    if (s.kind === 'missing' || (s.kind === 'link' && owned(s.to))) {
      links.push({ kind: 'link', path: l.target, to: l.to, replace: s.kind === 'link' });
      record();
      continue;
    }
    if (s.kind === 'directory' && oldDirs.has(l.target) && !needed.has(l.target)) {
      // A directory an earlier generation made (recursive source) becomes one link.
      rmdirs.add(l.target);
      links.push({ kind: 'link', path: l.target, to: l.to, replace: false });
      record();
      continue;
    }
    const cleared = clearTarget(l, s, at, options, problems);
    if (cleared === undefined) continue;
    clear.push(cleared);
    links.push({ kind: 'link', path: l.target, to: l.to, replace: false });
    record();
  }

  // Stale links: only those that still point where keepsake made them point.
  for (const old of history.links) {
    if (wanted.has(old.target)) continue;
    const s = at(old.target);
    if (s.kind === 'link' && (s.to === old.to || owned(s.to))) {
      if (!unlinks.some((u) => u.path === old.target))
        unlinks.push({ kind: 'unlink', path: old.target, to: s.to });
    } else if (s.kind !== 'missing') {
      notes.push(`${old.target} is ${describeState(s)} now, not keepsake's link: left alone`);
    }
  }
  for (const d of history.directories) if (!needed.has(d) && !wanted.has(d)) rmdirs.add(d);

  // Order: set aside what is in the way, remove stale links deepest first, then empty
  // directories deepest first, then create directories parents first, then the links.
  unlinks.sort((a, b) => byDepth(b.path, a.path));
  const actions: HomeAction[] =
    problems.length > 0
      ? []
      : [
          ...clear,
          ...unlinks,
          ...[...rmdirs]
            .sort(byDepth)
            .reverse()
            .map((path): HomeAction => ({ kind: 'rmdir', path })),
          ...[...mkdirs]
            .sort(byDepth)
            .map(
              (path): HomeAction =>
                isWithin(path, desired.home)
                  ? { kind: 'mkdir', path }
                  : { kind: 'mkdir-store', path },
            ),
          ...links,
        ];
  return {
    version: 1,
    home: desired.home,
    actions,
    problems,
    changed: changedCommands(desired.links, history.complete),
    notes,
    links: recorded,
    directories: [...dirs].sort(byDepth),
  };
}

/** A link as the generation records it. */
export function toRecord(l: DesiredLink): RecordedLink {
  return {
    target: l.target,
    declared: l.declared,
    to: l.to,
    kind: l.kind,
    hash: l.hash,
    ...(l.onChange !== undefined ? { onChange: l.onChange } : {}),
  };
}

/** What to do with a target that holds something keepsake does not own, or a problem. */
function clearTarget(
  l: DesiredLink,
  s: PathState,
  at: (p: string) => PathState,
  options: HomePlanOptions,
  problems: HomeProblem[],
): HomeAction | undefined {
  if (s.kind === 'file' && s.hash !== undefined && l.hash.startsWith(`${s.hash}-`)) {
    return { kind: 'remove', path: l.target, why: 'identical' };
  }
  if (l.force) {
    if (s.kind !== 'directory' || s.empty) return { kind: 'remove', path: l.target, why: 'force' };
    problems.push({
      code: 'directory-not-empty',
      path: l.target,
      message: `${l.target} is a directory with content; force replaces files, links and empty directories only`,
      hint: `move ${l.target} away yourself, or use --backup EXT`,
    });
    return undefined;
  }
  const ext = options.backupExtension;
  if (ext !== undefined) {
    const to = `${l.target}.${ext}`;
    if (at(to).kind === 'missing') return { kind: 'backup', path: l.target, to };
    problems.push({
      code: 'backup-exists',
      path: l.target,
      message: `${l.target} is in the way and its backup name ${to} is taken too`,
      hint: `move ${to} or ${l.target} away, or choose another extension`,
    });
    return undefined;
  }
  problems.push({
    code: 'would-be-clobbered',
    path: l.target,
    message: `${l.target} would be clobbered: ${describeState(s)} is there, not a link keepsake made`,
    hint: 'move it away, use --backup EXT (or backupExtension), or set force: true on the file',
  });
  return undefined;
}

/** What a declared file links, as one string: its targets and their content. */
function contentOf(links: readonly { declared: string; target: string; hash: string }[]) {
  const out = new Map<string, string[]>();
  for (const l of links)
    out.set(l.declared, [...(out.get(l.declared) ?? []), `${l.target}=${l.hash}`]);
  return new Map([...out].map(([k, v]) => [k, v.sort().join('\n')]));
}

/** onChange commands whose declared file's content differs from the last complete generation. */
function changedCommands(links: readonly DesiredLink[], complete: readonly RecordedLink[]) {
  const before = contentOf(complete);
  const now = contentOf(links);
  const out: { target: string; onChange: string }[] = [];
  const seen = new Set<string>();
  for (const l of links) {
    if (l.onChange === undefined || seen.has(l.declared)) continue;
    seen.add(l.declared);
    if (before.get(l.declared) !== now.get(l.declared))
      out.push({ target: l.declared, onChange: l.onChange });
  }
  return out;
}
