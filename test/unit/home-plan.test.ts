// The home planner, from plain data: collisions, backups, force, stale links, directories.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HomeHistory, planHome, toRecord } from '../../src/home/plan.js';
import type { DesiredLink, HomeAction, PathState } from '../../src/home/types.js';

const HOME = '/home/jane';
const AREA = '/persist/.keepsake-home/jane/files';
const NO_HISTORY: HomeHistory = { links: [], directories: [], complete: [] };

function want(rel: string, hash: string, extra: Partial<DesiredLink> = {}): DesiredLink {
  return {
    target: `${HOME}/${rel}`,
    to: `${AREA}/${hash}`,
    kind: 'file',
    hash,
    force: false,
    declared: `${HOME}/${rel}`,
    ...extra,
  };
}

const recorded = toRecord;

function plan(
  links: DesiredLink[],
  paths: Record<string, PathState>,
  history: HomeHistory = NO_HISTORY,
  options: { backupExtension?: string; directories?: string[] } = {},
) {
  return planHome(
    { home: HOME, links, directories: options.directories ?? [] },
    history,
    { paths },
    {
      filesArea: AREA,
      ...(options.backupExtension !== undefined
        ? { backupExtension: options.backupExtension }
        : {}),
    },
  );
}

const tilde = (p: string) => (p.startsWith(`${HOME}/`) ? `~/${p.slice(HOME.length + 1)}` : p);
const show = (actions: HomeAction[]) =>
  actions.map((a) => `${a.kind} ${tilde(a.path)}${a.kind === 'backup' ? ` ${tilde(a.to)}` : ''}`);

describe('planning home files', () => {
  it('creates parents first, then links, and records them', () => {
    const p = plan([want('.config/git/config', 'aa-r'), want('.profile', 'bb-r')], {});
    assert.deepEqual(show(p.actions), [
      'mkdir ~/.config',
      'mkdir ~/.config/git',
      'link ~/.config/git/config',
      'link ~/.profile',
    ]);
    assert.deepEqual(p.directories, [`${HOME}/.config`, `${HOME}/.config/git`]);
    assert.equal(p.links.length, 2);
    assert.deepEqual(JSON.parse(JSON.stringify(p)), p, 'plain data');
  });

  it('plans nothing for links already in place, and leaves existing directories unrecorded', () => {
    const l = want('.config/a', 'aa-r');
    const p = plan([l], {
      [`${HOME}/.config`]: { kind: 'directory', empty: false },
      [l.target]: { kind: 'link', to: l.to },
    });
    assert.deepEqual(p.actions, []);
    assert.deepEqual(p.directories, []);
    assert.equal(p.links.length, 1);
  });

  it('reports every collision at once and plans no action', () => {
    const a = want('.a', 'aa-r');
    const b = want('.b', 'bb-r');
    const c = want('.c', 'cc-r');
    const p = plan([a, b, c], {
      [a.target]: { kind: 'file', hash: 'different' },
      [b.target]: { kind: 'link', to: '/etc/passwd' },
      [c.target]: { kind: 'directory', empty: false },
    });
    assert.deepEqual(
      p.problems.map((x) => x.code),
      ['would-be-clobbered', 'would-be-clobbered', 'would-be-clobbered'],
    );
    assert.match(
      p.problems[1]!.message,
      /\.b would be clobbered: a link to \/etc\/passwd is there/,
    );
    assert.deepEqual(p.actions, []);
  });

  it('replaces an identical file without a backup', () => {
    const a = want('.a', 'aa-r');
    const p = plan([a], { [a.target]: { kind: 'file', hash: 'aa' } });
    assert.deepEqual(p.problems, []);
    assert.deepEqual(show(p.actions), ['remove ~/.a', 'link ~/.a']);
  });

  it('backs up what is in the way, and refuses when the backup name is taken', () => {
    const a = want('.a', 'aa-r');
    const b = want('.b', 'bb-r');
    const p = plan(
      [a, b],
      {
        [a.target]: { kind: 'file', hash: 'x' },
        [b.target]: { kind: 'file', hash: 'y' },
        [`${b.target}.bak`]: { kind: 'file' },
      },
      NO_HISTORY,
      { backupExtension: 'bak' },
    );
    assert.deepEqual(
      p.problems.map((x) => `${x.code} ${x.path}`),
      [`backup-exists ${b.target}`],
    );
    assert.deepEqual(p.actions, []);
    const ok = plan([a], { [a.target]: { kind: 'file', hash: 'x' } }, NO_HISTORY, {
      backupExtension: 'bak',
    });
    assert.deepEqual(show(ok.actions), ['backup ~/.a ~/.a.bak', 'link ~/.a']);
  });

  it('force replaces files, foreign links and empty directories, never a directory with content', () => {
    const a = want('.a', 'aa-r', { force: true });
    const b = want('.b', 'bb-r', { force: true });
    const c = want('.c', 'cc-r', { force: true });
    const p = plan([a, b], {
      [a.target]: { kind: 'file', hash: 'x' },
      [b.target]: { kind: 'link', to: '/elsewhere' },
    });
    assert.deepEqual(show(p.actions), ['remove ~/.a', 'remove ~/.b', 'link ~/.a', 'link ~/.b']);
    const full = plan([c], { [c.target]: { kind: 'directory', empty: false } });
    assert.deepEqual(
      full.problems.map((x) => x.code),
      ['directory-not-empty'],
    );
  });

  it('removes stale links that still point into the generations, deepest first, and the directories it made', () => {
    const old1 = want('.config/app/conf', 'o1-r');
    const old2 = want('.gone', 'o2-r');
    const moved = want('.moved', 'o3-r');
    const history: HomeHistory = {
      links: [old1, old2, moved].map(recorded),
      directories: [`${HOME}/.config/app`],
      complete: [],
    };
    const p = plan(
      [want('.new', 'nn-r')],
      {
        [old1.target]: { kind: 'link', to: old1.to },
        [old2.target]: { kind: 'link', to: `${AREA}/other-r` },
        [moved.target]: { kind: 'file' },
        [`${HOME}/.config/app`]: { kind: 'directory', empty: false },
      },
      history,
    );
    assert.deepEqual(show(p.actions), [
      'unlink ~/.config/app/conf',
      'unlink ~/.gone',
      'rmdir ~/.config/app',
      'link ~/.new',
    ]);
    assert.deepEqual(p.notes, [`${moved.target} is a file now, not keepsake's link: left alone`]);
  });

  it('relinks a changed file in place and reports which onChange commands to run', () => {
    const before = want('.a', 'old-r', { onChange: 'reload a' });
    const after = want('.a', 'new-r', { onChange: 'reload a' });
    const same = want('.b', 'bb-r', { onChange: 'reload b' });
    const history: HomeHistory = {
      links: [before, same].map(recorded),
      directories: [],
      complete: [before, same].map(recorded),
    };
    const p = plan(
      [after, same],
      {
        [after.target]: { kind: 'link', to: before.to },
        [same.target]: { kind: 'link', to: same.to },
      },
      history,
    );
    assert.deepEqual(p.actions, [
      { kind: 'link', path: after.target, to: after.to, replace: true },
    ]);
    assert.deepEqual(p.changed, [{ target: after.target, onChange: 'reload a' }]);
  });

  it('turns a directory link into a real directory for a recursive source, and back', () => {
    const whole = want('.config/nvim', 'dd-d', { kind: 'directory' });
    const inner = want('.config/nvim/init.vim', 'ii-r', { declared: whole.target });
    const toRecursive = plan(
      [inner],
      {
        [`${HOME}/.config`]: { kind: 'directory', empty: false },
        [whole.target]: { kind: 'link', to: whole.to },
      },
      { links: [recorded(whole)], directories: [], complete: [] },
      { directories: [whole.target] },
    );
    assert.deepEqual(show(toRecursive.actions), [
      'unlink ~/.config/nvim',
      'mkdir ~/.config/nvim',
      'link ~/.config/nvim/init.vim',
    ]);
    const back = plan(
      [whole],
      {
        [`${HOME}/.config`]: { kind: 'directory', empty: false },
        [whole.target]: { kind: 'directory', empty: false },
        [inner.target]: { kind: 'link', to: inner.to },
      },
      { links: [recorded(inner)], directories: [whole.target], complete: [] },
    );
    assert.deepEqual(show(back.actions), [
      'unlink ~/.config/nvim/init.vim',
      'rmdir ~/.config/nvim',
      'link ~/.config/nvim',
    ]);
  });

  it('refuses a file where a parent directory belongs', () => {
    const p = plan([want('.config/a', 'aa-r')], { [`${HOME}/.config`]: { kind: 'file' } });
    assert.deepEqual(
      p.problems.map((x) => x.code),
      ['parent-not-directory'],
    );
  });

  it('leaves a persistence entry that root has bound alone, and links it otherwise', () => {
    const bound = want('Documents', '/persist/home/jane/Documents', {
      kind: 'persist',
      to: '/persist/home/jane/Documents',
      storeDirectory: true,
    });
    const p = plan([bound], { [bound.target]: { kind: 'bound' } });
    assert.deepEqual(p.actions, []);
    assert.deepEqual(p.links, []);
    const q = plan([bound], {});
    assert.deepEqual(show(q.actions), [
      'mkdir-store /persist/home/jane/Documents',
      'link ~/Documents',
    ]);
  });
});
