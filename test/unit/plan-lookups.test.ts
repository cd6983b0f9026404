// The planner's lookups give the answers of their plain forms: the view's real paths, which
// it remembers until the next redirect, as if worked out afresh each time (and the states it
// gives for them); the mount holding a path as a plain walk finds it; entries ordered by
// comparing depth and target pair by pair. Each is asked in many orders, about ordinary and
// odd paths, so that what the fast forms remember never changes an answer.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigText } from '../../src/config/index.js';
import { mountContaining, sourceOf } from '../../src/core/mount-table.js';
import { ancestorsOf, depthOf, hostPath, parentOf } from '../../src/core/paths.js';
import type { MountInfo } from '../../src/model/observed.js';
import { MISSING } from '../../src/model/observed.js';
import type { PersistEntry } from '../../src/model/types.js';
import { observe } from '../../src/observe/observe.js';
import { buildTopology, type Redirect } from '../../src/plan/topology.js';
import { createView } from '../../src/plan/view.js';
import { parseMountInfo } from '../../src/system/mountinfo.js';
import { generatedLayout, plainContaining } from '../helpers/plan-layout.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-lookups-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function generatedEntries(): PersistEntry[] {
  const l = generatedLayout();
  const root = join(tmp, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), l.passwd);
  writeFileSync(join(root, 'etc', 'group'), l.group);
  return loadConfigText(l.config, join(tmp, 'keepsake.yaml'), { root }).entries;
}

/** A small deterministic shuffle: every run sees the same orders. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Walking up by parentOf, the way redirects were always looked up. */
function plainRedirect(redirects: Map<string, Redirect>, path: string): Redirect | undefined {
  for (let p = path; ; p = parentOf(p)) {
    const r = redirects.get(p);
    if (r) return r;
    if (p === '/') return undefined;
  }
}

function plainCanonical(redirects: Map<string, Redirect>, path: string): string {
  if (redirects.size === 0) return path;
  let p = path;
  for (let guard = 0; guard < 64; guard++) {
    const r = plainRedirect(redirects, p);
    if (!r) return p;
    const rest = r.from === '/' ? p : p.slice(r.from.length);
    p = rest === '' || rest === '/' ? r.to : r.to === '/' ? rest : r.to + rest;
  }
  return p;
}

/** Every ancestor of each path, and the odd forms of it: trailing and doubled slashes. */
function questionsAbout(paths: readonly string[]): string[] {
  const out = new Set<string>(['/', '', '//', 'relative', 'relative/below']);
  for (const p of paths) {
    out.add(p);
    out.add(`${p}/`);
    out.add(`${p}//`);
    out.add(`${p}/x/y`);
    out.add(p.replace('/', '//'));
    for (const a of ancestorsOf(p)) out.add(a);
  }
  return [...out];
}

describe("the view's real paths", () => {
  const entries = generatedEntries();
  const dirs = entries.filter((e) => e.kind === 'directory');
  const redirectOf = (from: string, to: string, entry = dirs[0]!): Redirect => ({
    entry,
    from,
    to,
  });
  const linked = { ...dirs[0]!, method: 'symlink' as const };

  /** Redirects added one by one with questions in between, as the planner adds them. */
  function agree(list: Redirect[], questions: string[]) {
    const observed = observe(tmp);
    const view = createView(observed);
    const map = new Map<string, Redirect>();
    const links = new Map<string, Redirect>();
    for (const [i, r] of list.entries()) {
      view.addRedirect(r);
      map.set(r.from, r);
      if (r.entry.method === 'symlink') links.set(r.from, r);
      if (i % 97 !== 0 && i !== list.length - 1) continue;
      // Each question twice: the second answer is the one remembered.
      for (const q of [...shuffled(questions, i + 1), ...shuffled(questions, i + 2)]) {
        const c = plainCanonical(map, q);
        assert.equal(view.canonical(q), c, `canonical ${q}`);
        assert.equal(view.mountPoint(q), plainCanonical(links, q), `mount point ${q}`);
        if (c.startsWith('/')) {
          assert.deepEqual(view.stat(q), observed.stat(hostPath(tmp, c)), `state of ${q}`);
        }
      }
    }
  }

  it('the generated configuration: every target into its store', () => {
    const list = dirs.map((e, i) =>
      redirectOf(e.target, e.store, i % 10 ? e : { ...e, method: 'symlink' }),
    );
    agree(list, questionsAbout(entries.flatMap((e) => [e.target, e.store])));
  });

  it('odd paths: the root, trailing and doubled slashes, a chain, one replaced', () => {
    const list = [
      redirectOf('/a', '/s/a'),
      redirectOf('/a/b/', '/t'),
      redirectOf('/x//y', '/u', linked),
      redirectOf('/s/a/c', '/v/c'),
      redirectOf('/a', '/w/a', linked),
      redirectOf('/', '/everything'),
    ];
    agree(list, questionsAbout(['/a/b/c', '/a/b', '/x//y/z', '/x/y', '/s/a/c/d', '/w/a/c']));
  });

  it('a loop of redirects ends where it always did', () => {
    const list = [redirectOf('/p', '/q/p'), redirectOf('/q', '/p/q', linked)];
    agree(list, questionsAbout(['/p/x', '/q/y']));
  });

  it('a planned path is seen until it is rolled back', () => {
    const view = createView(observe(tmp));
    const mark = view.checkpoint();
    view.addRedirect(redirectOf('/d', '/keep'));
    view.plan('/d/new', { ...MISSING, type: 'directory', empty: true });
    assert.equal(view.stat('/keep/new').type, 'directory');
    view.rollback(mark);
    assert.equal(view.stat('/d/new').type, 'missing');
    assert.equal(view.stat('/keep/new').type, 'missing');
  });
});

describe('the mount holding a path', () => {
  const TABLE = [
    '22 1 253:1 / / rw shared:1 - ext4 /dev/vda1 rw',
    '30 22 0:26 / /run rw shared:5 - tmpfs tmpfs rw',
    '40 22 253:2 / /persist rw shared:7 - ext4 /dev/vdb rw',
    '41 22 253:2 /home/alice /home/alice rw shared:7 - ext4 /dev/vdb rw',
    '42 41 253:2 /alice-old /home/alice rw - ext4 /dev/vdb rw',
    '50 22 0:40 / /mnt rw - tmpfs none rw',
    '51 50 0:41 / /mnt/inner rw - tmpfs none rw',
    '52 50 0:42 / /mnt rw - tmpfs none rw',
    '60 22 253:2 /srv /srv rw - ext4 /dev/vdb rw',
    '61 60 0:50 / /srv/a/b rw - tmpfs none rw',
    '',
  ].join('\n');
  const paths = ['/home/alice/.ssh/id', '/mnt/inner/x', '/srv/a/b/c', '/persist/x/y', '/run/u'];

  function agree(mounts: MountInfo[], seed: number) {
    for (const q of shuffled(questionsAbout(paths), seed)) {
      const want = plainContaining(mounts, q);
      assert.equal(mountContaining(mounts, q), want, `mount holding ${q}`);
      const src = sourceOf(mounts, q);
      if (!want) assert.equal(src, undefined);
      else assert.equal(src?.device, want.device, `device of ${q}`);
    }
  }

  it('answers as a plain walk, whatever was asked before', () => {
    const mounts = parseMountInfo(TABLE);
    for (let seed = 1; seed <= 5; seed++) agree(mounts, seed);
    // A hidden mount (/mnt/inner under the second /mnt) holds nothing.
    assert.equal(mountContaining(mounts, '/mnt/inner/x')?.id, 52);
    assert.equal(mountContaining(mounts, '/srv/a/b/c')?.id, 61);
    assert.deepEqual(sourceOf(mounts, '/srv/a/x'), { device: '253:2', root: '/srv/a/x' });
  });

  it('a table that grew is asked afresh', () => {
    const mounts = parseMountInfo(TABLE);
    assert.equal(mountContaining(mounts, '/persist/x/y')?.id, 40);
    mounts.push(...parseMountInfo('70 40 0:60 / /persist/x rw - tmpfs none rw\n'));
    assert.equal(mountContaining(mounts, '/persist/x/y')?.id, 70);
    agree(mounts, 9);
  });

  it('a table without a root mount holds nothing outside its mounts', () => {
    const mounts = parseMountInfo('50 1 0:40 / /mnt rw - tmpfs none rw\n');
    assert.equal(mountContaining(mounts, '/etc/x'), undefined);
    assert.equal(mountContaining(mounts, '/mnt/x')?.id, 50);
    agree(mounts, 3);
  });
});

describe('entries parents first', () => {
  const plainOrder = (entries: readonly PersistEntry[]) =>
    [...entries].sort(
      (a, b) => depthOf(a.target) - depthOf(b.target) || (a.target < b.target ? -1 : 1),
    );

  it('orders as comparing depth, then target', () => {
    const entries = generatedEntries();
    for (let seed = 1; seed <= 3; seed++) {
      const given = shuffled(entries, seed);
      assert.deepEqual(
        buildTopology(given).ordered.map((e) => e.id),
        plainOrder(given).map((e) => e.id),
      );
    }
  });

  it('orders two entries of one target as it always did', () => {
    const entries = generatedEntries();
    const twin = { ...entries[5]!, id: `${entries[5]!.id} (again)` };
    const given = [...entries.slice(0, 50), twin];
    assert.deepEqual(
      buildTopology(given).ordered.map((e) => e.id),
      plainOrder(given).map((e) => e.id),
    );
  });
});
