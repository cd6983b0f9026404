// The settled record keeps only the mountinfo lines a plan's answers depend on
// (src/core/mount-relevance.ts). Held to it on random mount tables: every question the planner
// can ask of the mount table, asked about random paths, gets the same answer from the whole
// table, from the lines kept alone, and from the whole table with random mounts added that the
// filter leaves out; and the filter keeps what it must (escaped paths, stacks, the root).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MountPaths, sameMountLines } from '../../src/core/mount-relevance.js';
import {
  mountContaining,
  mountsInside,
  sourceOf,
  sourcesBelow,
  stackAt,
  topMountAt,
  watchMountQueries,
} from '../../src/core/mount-table.js';
import { parseMountInfo, unescapeMountPath } from '../../src/core/mountinfo.js';
import type { MountInfo } from '../../src/model/observed.js';

/** A small deterministic random source: every run sees the same tables. */
function random(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

const NAMES = ['a', 'b', 'c', 'var', 'lib', 'd e', 'x\\y'];

/** A path of up to four components, some with a space or a backslash (escaped in mountinfo). */
function randomPath(r: (n: number) => number): string {
  const depth = r(5);
  let p = '';
  for (let i = 0; i < depth; i++) p += `/${NAMES[r(NAMES.length)]}`;
  return p === '' ? '/' : p;
}

const escaped = (p: string) =>
  p.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

interface Line {
  id: number;
  parent: number;
  point: string;
  root: string;
}

const text = (lines: Line[]) =>
  lines
    .map(
      (l) =>
        `${l.id} ${l.parent} 0:${l.id % 7} ${escaped(l.root)} ${escaped(l.point)} rw shared:${l.id} - tmpfs src${l.id} rw\n`,
    )
    .join('');

const isAtOrAbove = (a: string, b: string) => a === b || a === '/' || b.startsWith(`${a}/`);

/** Mounts made one after another, each on a mount at its point or above (as the kernel does). */
function randomTable(r: (n: number) => number, count: number): Line[] {
  const lines: Line[] = [{ id: 1, parent: 0, point: '/', root: '/' }];
  for (let id = 2; id <= count; id++) {
    const point = randomPath(r);
    const under = lines.filter((l) => isAtOrAbove(l.point, point));
    const parent = under[r(under.length)] as Line;
    lines.push({ id, parent: parent.id, point, root: randomPath(r) });
  }
  return lines;
}

const show = (m: MountInfo | undefined) => (m ? `${m.id}@${m.mountPoint}` : '-');

/** The answers to `asked` of the table `text`, each question asked as the planner asks it. */
function answers(tableText: string, asked: string[][]): string[] {
  const mounts = parseMountInfo(tableText);
  return asked.map(([kind, path, other]) => {
    const p = path as string;
    if (kind === 'below') return belowAnswer(mounts, p, other as string);
    if (kind === 'top') return show(topMountAt(mounts, p));
    if (kind === 'stack') return stackAt(mounts, p).map(show).join(',');
    if (kind === 'containing') return show(mountContaining(mounts, p));
    if (kind === 'source') return JSON.stringify(sourceOf(mounts, p) ?? null);
    return mountsInside(mounts, p).map(show).join(',');
  });
}

/** What a storage location's sourcesBelow says of a path (`none`: it has none). */
function belowAnswer(mounts: MountInfo[], base: string, path: string): string {
  const below = sourcesBelow(mounts, base);
  return below ? JSON.stringify(below(path) ?? null) : 'none';
}

/** A path below `base` most of the time, now and then anywhere. */
const pathBelow = (r: (n: number) => number, base: string) =>
  r(4) === 0
    ? randomPath(r)
    : `${base === '/' ? '' : base}${randomPath(r)}`.replace(/(.)\/$/, '$1');

/** `paths` and every directory above them, each once. */
function closedAbove(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    for (let p = path; ; p = p.slice(0, Math.max(1, p.lastIndexOf('/')))) {
      out.add(p);
      if (p === '/') break;
    }
  }
  return out;
}

/**
 * The lines a plan's answers depend on, the plain way (what sameMountLines must agree with):
 * each line whose mount point (read as parseMountInfo reads it) is one of `paths.at` or a
 * directory above one, or lies below one of `paths.inside`; a line without one is kept.
 */
function mountLineFilter(paths: MountPaths): (text: string) => string {
  const points = closedAbove(paths.at);
  return (t) =>
    t
      .split('\n')
      .filter((line) => {
        if (line === '') return false;
        const field = line.split(' ')[4];
        if (field === undefined) return true;
        const point = unescapeMountPath(field);
        return points.has(point) || paths.inside.some((p) => point.startsWith(`${p}/`));
      })
      .map((line) => `${line}\n`)
      .join('');
}

const KINDS = ['top', 'stack', 'containing', 'source', 'inside', 'below'];

describe('the mountinfo lines a plan depends on', () => {
  it('answer every question as the whole table does, with any other mount added', () => {
    let kept = 0;
    let left = 0;
    let grownAlike = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = random(seed);
      const table = randomTable(r, 2 + r(25));
      const whole = text(table);
      const asked = Array.from({ length: 1 + r(6) }, () => {
        const kind = KINDS[r(KINDS.length)] as string;
        const path = randomPath(r);
        return kind === 'below' ? [kind, path, pathBelow(r, path)] : [kind, path];
      });
      // The paths asked about, as the observer collects them.
      const mounts = parseMountInfo(whole);
      const queries = watchMountQueries(mounts);
      const expected = answers(whole, asked);
      for (const [kind, path, other] of asked) {
        const p = path as string;
        if (kind === 'below') belowAnswer(mounts, p, other as string);
        else if (kind === 'top') topMountAt(mounts, p);
        else if (kind === 'stack') stackAt(mounts, p);
        else if (kind === 'containing') mountContaining(mounts, p);
        else if (kind === 'source') sourceOf(mounts, p);
        else mountsInside(mounts, p);
      }
      const lines = mountLineFilter({ at: [...queries.at], inside: [...queries.inside] });
      const relevant = lines(whole);
      kept += relevant.split('\n').length - 1;
      left += table.length - (relevant.split('\n').length - 1);
      assert.deepEqual(answers(relevant, asked), expected, `seed ${seed}: the lines kept alone`);
      // More mounts, anywhere, made after: those the filter leaves out change no answer.
      const more = randomTable(r, table.length + 1 + r(15)).slice(table.length);
      const grown = text([...table, ...more]);
      const unchanged = lines(grown) === relevant;
      if (unchanged) {
        grownAlike++;
        assert.deepEqual(answers(grown, asked), expected, `seed ${seed}: with mounts added`);
      }
    }
    // The tables are such that the filter both keeps lines and leaves some out.
    assert.ok(kept > 300 && left > 300, `kept ${kept}, left ${left}`);
    assert.ok(grownAlike > 50, `${grownAlike} tables grown with only mounts left out`);
  });

  it("a storage location's sources are sourceOf's, where no mount lies inside it", () => {
    let fast = 0;
    let walked = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = random(seed);
      const mounts = parseMountInfo(text(randomTable(r, 2 + r(25))));
      const base = randomPath(r);
      const below = sourcesBelow(mounts, base);
      const mountInside = mounts.some((m) => m.mountPoint.startsWith(`${base}/`));
      assert.equal(below === undefined, base === '/' || mountInside, `seed ${seed}`);
      if (!below) {
        walked++;
        continue;
      }
      fast++;
      for (let i = 0; i < 8; i++) {
        const p = pathBelow(r, base);
        assert.deepEqual(below(p), sourceOf(mounts, p), `seed ${seed}: ${p} below ${base}`);
      }
    }
    assert.ok(fast > 50 && walked > 50, `${fast} locations without mounts, ${walked} with`);
  });

  it('tells two tables apart as the filter does, looking only at the lines that differ', () => {
    let same = 0;
    let apart = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = random(seed);
      const table = randomTable(r, 2 + r(25));
      const paths = {
        at: Array.from({ length: 1 + r(5) }, () => randomPath(r)),
        inside: r(3) === 0 ? [randomPath(r)] : [],
      };
      const lines = mountLineFilter(paths);
      // Another table: mounts added after, some taken away, now and then two swapped.
      const more = randomTable(r, table.length + 1 + r(6)).slice(table.length);
      let other = [...table.filter(() => r(8) !== 0), ...more];
      const swapped = r(5) === 0 && other.length > 2;
      if (swapped) {
        const i = 1 + r(other.length - 1);
        other = other.map((l, k) =>
          k === i ? (other[i - 1] as Line) : k === i - 1 ? (other[i] as Line) : l,
        );
      }
      const a = text(table);
      const b = text(other);
      const answer = sameMountLines(a, b, paths);
      const filtered = lines(a) === lines(b);
      // Never "the same" where the lines kept differ.
      if (answer) assert.ok(filtered, `seed ${seed}`);
      // Nothing taken away or moved: exactly when the lines kept are the same.
      if (!swapped && other.length === table.length + more.length)
        assert.equal(answer, filtered, `seed ${seed}`);
      if (answer) same++;
      else apart++;
    }
    assert.ok(same > 50 && apart > 50, `${same} the same, ${apart} apart`);
  });

  it('keeps the lines at, above and (for inside) below the paths, and leaves the rest', () => {
    const table: Line[] = [
      { id: 1, parent: 0, point: '/', root: '/' },
      { id: 2, parent: 1, point: '/var', root: '/' },
      { id: 3, parent: 2, point: '/var/lib/app', root: '/app' },
      { id: 4, parent: 3, point: '/var/lib/app', root: '/over' },
      { id: 5, parent: 3, point: '/var/lib/app/sub', root: '/' },
      { id: 6, parent: 2, point: '/var/lib/other', root: '/' },
      { id: 7, parent: 1, point: '/run/user/1000', root: '/' },
      { id: 8, parent: 1, point: '/media/my stick', root: '/' },
      { id: 9, parent: 1, point: '/var2', root: '/' },
      { id: 10, parent: 1, point: '/persist', root: '/' },
    ];
    const kept = (at: string[], inside: string[] = []) =>
      parseMountInfo(mountLineFilter({ at, inside })(text(table))).map((m) => m.id);
    assert.deepEqual(kept(['/var/lib/app']), [1, 2, 3, 4]);
    assert.deepEqual(kept(['/var/lib/app'], ['/var/lib/app']), [1, 2, 3, 4, 5]);
    assert.deepEqual(kept(['/media/my stick/x', '/persist/var/lib/app']), [1, 8, 10]);
    assert.deepEqual(kept(['/']), [1]);
    assert.deepEqual(kept([]), []);
    const root = '1 0 0:1 / / rw - t s rw\n';
    const none = { at: [], inside: [] };
    // A line without a mount point field counts (more than needed costs only time).
    assert.equal(sameMountLines(root, `${root}7 1 2\n`, none), false);
    assert.equal(sameMountLines(root, `${root}7 1 0:9 / /mnt rw - t s rw\n`, none), true);
    // The last line without its newline is the same line as with one.
    assert.equal(sameMountLines(root, root.trimEnd(), { at: ['/'], inside: [] }), true);
    assert.equal(sameMountLines(root, '', { at: ['/'], inside: [] }), false);
  });

  it('closes the paths asked about over the directories above them', () => {
    assert.deepEqual([...closedAbove(['/a/b/c', '/a/d', '/x'])].sort(), [
      '/',
      '/a',
      '/a/b',
      '/a/b/c',
      '/a/d',
      '/x',
    ]);
    assert.deepEqual([...closedAbove([])], []);
  });
});
