// Home files when root applies: persistence entries are bind-mounted by root, home files are
// linked by a process running as the user, and a link the user plants never makes root (or
// anyone) write where the user may not.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { requireNamespaces } from '../helpers/boot.js';
import { homesOfSuite, inspected, ran, UID, userLink } from '../helpers/home.js';

const skip = requireNamespaces();
const testHome = homesOfSuite((h) => {
  fs.mkdirSync(`${h.dir}/persist`, { mode: 0o755 });
  fs.mkdirSync(`${h.dir}/rootonly`, { mode: 0o755 });
});

const CONFIG = `persistence:
  $DIR/persist:
    users:
      tester:
        directories: [Documents]
users:
  tester:
    files:
      .gitconfig: { text: "[user]\\n  name = Jane\\n" }
      .config/app/conf: { text: "x = 1\\n" }
`;

describe('home files applied by root', { skip }, () => {
  it('binds persistence entries and links home files as the user, from a store root prepared', () => {
    const h = testHome();
    h.setConfig(CONFIG);
    const [applied, state, mounted, again, gens] = h.run([
      { do: 'root', args: ['apply'] },
      {
        do: 'inspect',
        paths: [
          '~/.gitconfig',
          '~/.config',
          '~/.config/app/conf',
          '~/Documents',
          `${h.dir}/persist/.keepsake-home`,
          `${h.dir}/persist/.keepsake-home/tester`,
        ],
      },
      { do: 'sh', cmd: 'findmnt -n -o TARGET "$HOME_DIR/Documents"' },
      { do: 'root', args: ['apply'] },
      { do: 'root', args: ['home', 'generations', '--json'] },
    ]);
    assert.equal(ran(applied).status, 0, `${ran(applied).stdout}\n${ran(applied).stderr}`);
    const p = inspected(state);
    assert.deepEqual([p['~/.gitconfig']!.type, p['~/.gitconfig']!.uid], ['symlink', UID]);
    assert.match(
      p['~/.gitconfig']!.link!,
      new RegExp(`^${h.dir}/persist/.keepsake-home/tester/files/`),
    );
    assert.deepEqual([p['~/.config']!.type, p['~/.config']!.uid], ['directory', UID]);
    assert.equal(
      p['~/Documents']!.type,
      'directory',
      'a persistence entry is a bind mount as root',
    );
    assert.equal(ran(mounted).stdout.trim(), `${h.home}/Documents`);
    const kh = p[`${h.dir}/persist/.keepsake-home`]!;
    assert.deepEqual([kh.uid, kh.mode], [0, '0755']);
    const mine = p[`${h.dir}/persist/.keepsake-home/tester`]!;
    assert.deepEqual([mine.uid, mine.mode], [UID, '0700']);
    assert.equal(ran(again).status, 0, ran(again).stderr);
    assert.match(ran(again).stdout, /home files of tester: nothing to do/);
    const list = JSON.parse(ran(gens).stdout) as { user: string; generations: unknown[] };
    assert.equal(list.user, 'tester');
    assert.equal(list.generations.length, 1);
  });

  it('a link the user plants in the home leads only the user’s own process, which may not write there', () => {
    const h = testHome();
    h.setConfig(CONFIG);
    const [, applied, state] = h.run([
      userLink('~/.config', `${h.dir}/rootonly`),
      { do: 'root', args: ['apply'] },
      { do: 'inspect', paths: [`${h.dir}/rootonly`, '~/.config'] },
    ]);
    const r = ran(applied);
    assert.equal(r.status, 1);
    assert.match(`${r.stdout}${r.stderr}`, /EACCES|permission denied/i);
    const p = inspected(state);
    assert.deepEqual(p[`${h.dir}/rootonly`]!.names, [], 'nothing was written through the link');
    assert.equal(p['~/.config']!.link, `${h.dir}/rootonly`);
  });

  it('refuses a home store the user has replaced with a link, and writes nothing there', () => {
    const h = testHome();
    const ustore = h.userDir('ustore');
    h.setConfig(`users:
  tester:
    persistence:
      ${ustore}: { directories: [Music] }
    files:
      .gitconfig: { text: "x" }
`);
    const [, applied, state] = h.run([
      userLink(`${ustore}/.keepsake-home`, `${h.dir}/rootonly`),
      { do: 'root', args: ['apply'] },
      { do: 'inspect', paths: [`${h.dir}/rootonly`, '~/.gitconfig'] },
    ]);
    const r = ran(applied);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\.keepsake-home must be a directory owned by 4242, but it is a link/);
    const p = inspected(state);
    assert.deepEqual(p[`${h.dir}/rootonly`]!.names, []);
    assert.equal(p['~/.gitconfig']!.type, 'missing');
  });

  it('switching modes: the user’s own links give way to root’s binds, which the user’s run leaves alone', () => {
    const h = testHome();
    const ustore = h.userDir('ustore');
    h.setConfig(`users:
  tester:
    persistence:
      ${ustore}: { directories: [Music], files: [.histfile] }
    files:
      .a: { text: "a" }
`);
    const [asUser, linked, asRoot, bound, mounted, again, after] = h.run([
      { do: 'user', args: ['home', 'apply'] },
      { do: 'inspect', paths: ['~/Music', '~/.histfile'] },
      { do: 'root', args: ['apply'] },
      { do: 'inspect', paths: ['~/Music', '~/.histfile', '~/.a'] },
      { do: 'sh', cmd: 'findmnt -n -o TARGET "$HOME_DIR/Music"' },
      { do: 'user', args: ['home', 'apply'] },
      { do: 'inspect', paths: ['~/Music', '~/.histfile', '~/.a'] },
    ]);
    assert.equal(ran(asUser).status, 0, ran(asUser).stderr);
    const l = inspected(linked);
    assert.equal(l['~/Music']!.link, `${ustore}/Music`, 'without root: a link');
    assert.equal(l['~/.histfile']!.link, `${ustore}/.histfile`);
    assert.equal(ran(asRoot).status, 0, ran(asRoot).stderr);
    const b = inspected(bound);
    assert.equal(b['~/Music']!.type, 'directory', 'as root: a bind');
    assert.equal(ran(mounted).stdout.trim(), `${h.home}/Music`);
    assert.equal(
      b['~/.histfile']!.link,
      `${ustore}/.histfile`,
      'a file not stored yet stays a link',
    );
    assert.equal(b['~/.a']!.type, 'symlink');
    assert.equal(ran(again).status, 0, ran(again).stderr);
    const a = inspected(after);
    assert.equal(a['~/Music']!.type, 'directory', 'the bind is left as it is');
    assert.equal(a['~/.histfile']!.link, `${ustore}/.histfile`);
  });

  it('root’s dry run changes nothing; root’s home commands act for the one user named', () => {
    const h = testHome();
    h.setConfig(CONFIG);
    const [dry, untouched, applied, , changed, rollback, content, gens] = h.run([
      { do: 'root', args: ['apply', '--dry-run'] },
      { do: 'inspect', paths: ['~/.gitconfig', `${h.dir}/persist/.keepsake-home`] },
      { do: 'root', args: ['apply'] },
      {
        do: 'sh',
        cmd: `sed -i 's/name = Jane/name = Jane Doe/' "$DIR/keepsake.yaml"`,
      },
      { do: 'root', args: ['home', 'apply', '--user', 'tester'] },
      { do: 'root', args: ['home', 'rollback', '--user', 'tester'] },
      { do: 'sh', cmd: 'cat "$HOME_DIR/.gitconfig"' },
      { do: 'root', args: ['home', 'generations', '--user', 'tester', '--json'] },
    ]);
    assert.equal(ran(dry).status, 0, ran(dry).stderr);
    assert.match(ran(dry).stdout, /· would link .*\/\.gitconfig/);
    const u = inspected(untouched);
    assert.equal(u['~/.gitconfig']!.type, 'missing');
    assert.equal(u[`${h.dir}/persist/.keepsake-home`]!.type, 'missing');
    assert.equal(ran(applied).status, 0, ran(applied).stderr);
    assert.equal(ran(changed).status, 0, ran(changed).stderr);
    assert.match(ran(changed).stdout, /home generation 2 for tester/);
    assert.equal(ran(rollback).status, 0, ran(rollback).stderr);
    assert.equal(ran(content).stdout, '[user]\n  name = Jane\n');
    const list = JSON.parse(ran(gens).stdout) as {
      generations: { number: number; rollbackOf?: number }[];
    };
    assert.deepEqual(
      list.generations.map((g) => [g.number, g.rollbackOf ?? null]),
      [
        [1, null],
        [2, null],
        [3, 1],
      ],
    );
  });

  it('as the user, a system store’s home store must come from root first', () => {
    const h = testHome();
    h.setConfig(CONFIG);
    const [refused, , mine] = h.run([
      { do: 'user', args: ['home', 'apply'] },
      { do: 'root', args: ['apply'] },
      { do: 'user', args: ['home', 'apply', '--files-only'] },
    ]);
    assert.equal(ran(refused).status, 1);
    assert.match(ran(refused).stderr, /only root can create it/);
    assert.equal(ran(mine).status, 0, ran(mine).stderr);
    assert.match(
      ran(mine).stdout,
      /nothing to do/,
      'the user sees what root’s run made as its own',
    );
  });
});
