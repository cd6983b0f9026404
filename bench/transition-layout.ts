// The transition benchmark's two generations of one configuration. A has 1000 entries (850
// directories, 100 files and 50 directories persisted as links, the same mix of system and
// home paths as the apply benchmark); B differs from it in 100 entries: 40 of A's are gone, 40
// are new, 15 moved from /persist to a second store /state, and 5 directories switched from a
// bind mount to `method: symlink`.

import { makeLayout, STORE, USER } from './layout.js';

export const SECOND_STORE = '/state';

export interface TransitionEntry {
  kind: 'directory' | 'file';
  method: 'auto' | 'symlink';
  /** Absolute path inside the root. */
  target: string;
  /** The store's path; the entry is stored at `<storeRoot><target>`. */
  storeRoot: string;
  home: boolean;
  uid: number;
  gid: number;
}

export const storeOf = (e: TransitionEntry) => e.storeRoot + e.target;

/** How the B side of a target differs from its A side. */
export interface TransitionDiff {
  /** In A only. */
  removed: TransitionEntry[];
  /** In B only. */
  added: TransitionEntry[];
  /** In both, kept in another store: [A's, B's]. */
  moved: [TransitionEntry, TransitionEntry][];
  /** In both, set up another way (method or kind): [A's, B's]. */
  switched: [TransitionEntry, TransitionEntry][];
}

export interface TransitionLayout {
  a: TransitionEntry[];
  b: TransitionEntry[];
  configA: string;
  configB: string;
  passwd: string;
  group: string;
}

export const SIZES = { directories: 850, files: 100, symlinks: 50 };
export const CHANGES = { removed: 40, added: 40, moved: 15, switched: 5 };

export function diffOf(a: TransitionEntry[], b: TransitionEntry[]): TransitionDiff {
  const inB = new Map(b.map((e) => [e.target, e]));
  const inA = new Set(a.map((e) => e.target));
  const d: TransitionDiff = { removed: [], added: [], moved: [], switched: [] };
  for (const old of a) {
    const now = inB.get(old.target);
    if (!now) d.removed.push(old);
    else if (old.kind !== now.kind || old.method !== now.method) d.switched.push([old, now]);
    else if (old.storeRoot !== now.storeRoot) d.moved.push([old, now]);
  }
  for (const e of b) if (!inA.has(e.target)) d.added.push(e);
  return d;
}

/** `n` of `xs` whose index is `k` modulo `step`, spread over the list. */
function pick<T>(xs: T[], step: number, k: number, n: number): T[] {
  return xs.filter((_, i) => i % step === k).slice(0, n);
}

export function makeTransition(): TransitionLayout {
  const base = makeLayout(SIZES);
  const a: TransitionEntry[] = base.entries.map((e) => ({
    kind: e.kind === 'file' ? 'file' : 'directory',
    method: e.kind === 'symlink' ? 'symlink' : 'auto',
    target: e.target,
    storeRoot: STORE,
    home: e.home,
    uid: e.uid,
    gid: e.gid,
  }));
  const dirs = a.filter((e) => e.kind === 'directory' && e.method === 'auto');
  const files = a.filter((e) => e.kind === 'file');
  const links = a.filter((e) => e.method === 'symlink');

  const removed = new Set([
    ...pick(dirs, 28, 1, 30),
    ...pick(files, 20, 1, 5),
    ...pick(links, 10, 1, 5),
  ]);
  const moved = new Set([...pick(dirs, 85, 5, 10), ...pick(files, 20, 7, 5)]);
  const switched = new Set(pick(dirs, 28, 9, 5));

  const b: TransitionEntry[] = [];
  for (const e of a) {
    if (removed.has(e)) continue;
    if (moved.has(e)) b.push({ ...e, storeRoot: SECOND_STORE });
    else if (switched.has(e)) b.push({ ...e, method: 'symlink' });
    else b.push(e);
  }
  const system = (kind: TransitionEntry['kind'], method: TransitionEntry['method'], p: string) =>
    b.push({ kind, method, target: p, storeRoot: STORE, home: false, uid: 0, gid: 0 });
  const home = (kind: TransitionEntry['kind'], method: TransitionEntry['method'], rel: string) =>
    b.push({
      kind,
      method,
      target: `${USER.home}/${rel}`,
      storeRoot: STORE,
      home: true,
      uid: USER.uid,
      gid: USER.gid,
    });
  for (let i = 0; i < 22; i++) system('directory', 'auto', `/srv/bench-next/g${i % 5}/n${i}`);
  for (let i = 0; i < 8; i++) home('directory', 'auto', `.config/next${i}`);
  for (let i = 0; i < 3; i++) system('file', 'auto', `/etc/bench-next/n${i}.conf`);
  for (let i = 0; i < 2; i++) home('file', 'auto', `.bench/next${i}`);
  for (let i = 0; i < 2; i++) system('directory', 'symlink', `/srv/links-next/l${i}`);
  for (let i = 0; i < 3; i++) home('directory', 'symlink', `.cache/next${i}`);

  const d = diffOf(a, b);
  const got = {
    removed: d.removed.length,
    added: d.added.length,
    moved: d.moved.length,
    switched: d.switched.length,
  };
  if (JSON.stringify(got) !== JSON.stringify(CHANGES) || a.length !== 1000) {
    throw new Error(`the transition layout is off: ${a.length} entries, ${JSON.stringify(got)}`);
  }
  return {
    a,
    b,
    configA: render(a),
    configB: render(b),
    passwd: base.passwd,
    group: base.group,
  };
}

/** The configuration: one location per store, system entries and the user's entries. */
function render(entries: TransitionEntry[]): string {
  const q = (s: string) => JSON.stringify(s);
  const item = (e: TransitionEntry) => {
    const p = e.home ? e.target.slice(USER.home.length + 1) : e.target;
    return e.method === 'symlink' ? `{ directory: ${q(p)}, method: symlink }` : q(p);
  };
  const list = (indent: string, key: string, xs: TransitionEntry[]) =>
    xs.length === 0
      ? [`${indent}${key}: []`]
      : [`${indent}${key}:`, ...xs.map((e) => `${indent}  - ${item(e)}`)];
  const lines = ['persistence:'];
  for (const store of [STORE, SECOND_STORE]) {
    const mine = entries.filter((e) => e.storeRoot === store);
    if (mine.length === 0) continue;
    const sys = mine.filter((e) => !e.home);
    const home = mine.filter((e) => e.home);
    lines.push(`  ${store}:`, '    hideMounts: false');
    lines.push(
      ...list(
        '    ',
        'directories',
        sys.filter((e) => e.kind === 'directory'),
      ),
    );
    lines.push(
      ...list(
        '    ',
        'files',
        sys.filter((e) => e.kind === 'file'),
      ),
    );
    if (home.length > 0) {
      lines.push('    users:', `      ${USER.name}:`);
      lines.push(
        ...list(
          '        ',
          'directories',
          home.filter((e) => e.kind === 'directory'),
        ),
      );
      lines.push(
        ...list(
          '        ',
          'files',
          home.filter((e) => e.kind === 'file'),
        ),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
