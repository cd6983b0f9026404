// Home files as a real unprivileged user (uid 4242, in a private mount namespace): content of
// every kind, collisions, stale links across generations, a tmpfs home wiped by a reboot,
// rollback, onChange and interrupted runs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireNamespaces } from '../helpers/boot.js';
import { filesConfig, homesOfSuite, inspected, ran, UID, userLink } from '../helpers/home.js';

const skip = requireNamespaces();
const testHome = homesOfSuite((h) => {
  h.write('dotfiles/nvim/init.vim', 'set number\n');
  h.write('dotfiles/nvim/lua/plugins.lua', 'return {}\n');
  h.write('dotfiles/backup.sh', '#!/bin/sh\necho backup\n', 0o755);
  h.write('dotfiles/ssh_config', 'Host *\n');
  h.userDir('store');
});

const FILES = filesConfig(
  '.gitconfig: { text: "[user]\\n  name = Jane\\n" }',
  '.config/nvim: { source: ./dotfiles/nvim, recursive: true }',
  '.config/whole: { source: ./dotfiles/nvim }',
  'bin/backup: { source: ./dotfiles/backup.sh }',
  'bin/not-exec: { source: ./dotfiles/backup.sh, executable: false }',
  '.ssh/config: { source: ./dotfiles/ssh_config }',
);

const own = (f: string, content: string) =>
  `printf '${content}' > "$HOME_DIR/${f}" && chown ${UID}:${UID} "$HOME_DIR/${f}"`;

describe('home files as an unprivileged user', { skip }, () => {
  it('links text, source files, recursive and whole directories, with the executable bit', () => {
    const h = testHome();
    h.setConfig(FILES);
    const [dry, untouched, first, state, shown, again, gens] = h.run([
      { do: 'user', args: ['home', 'apply', '--dry-run'] },
      { do: 'inspect', paths: ['~/.gitconfig', `${h.dir}/store/hm`] },
      { do: 'user', args: ['home', 'apply'] },
      {
        do: 'inspect',
        paths: [
          '~/.gitconfig',
          '~/.config/nvim',
          '~/.config/nvim/init.vim',
          '~/.config/nvim/lua/plugins.lua',
          '~/.config/whole',
          '~/bin/backup',
          '~/bin/not-exec',
          '~/.ssh',
        ],
      },
      {
        do: 'sh',
        cmd: 'cd "$HOME_DIR" && cat .gitconfig && stat -L -c %a bin/backup bin/not-exec && ls .config/whole',
      },
      { do: 'user', args: ['home', 'apply'] },
      { do: 'user', args: ['home', 'generations', '--json'] },
    ]);
    assert.equal(ran(dry).status, 0, ran(dry).stderr);
    assert.match(ran(dry).stdout, /· would link .*\/\.gitconfig → .*\/store\/hm\/files\//);
    const u = inspected(untouched);
    assert.deepEqual(
      [u['~/.gitconfig']!.type, u[`${h.dir}/store/hm`]!.type],
      ['missing', 'missing'],
      'a dry run writes nothing, not even content',
    );
    assert.equal(ran(first).status, 0, ran(first).stderr);
    const p = inspected(state);
    assert.equal(p['~/.gitconfig']!.type, 'symlink');
    assert.match(p['~/.gitconfig']!.link!, new RegExp(`^${h.dir}/store/hm/files/[0-9a-f]{64}-r$`));
    assert.deepEqual([p['~/.config/nvim']!.type, p['~/.config/nvim']!.uid], ['directory', UID]);
    assert.equal(p['~/.config/nvim/init.vim']!.type, 'symlink');
    assert.equal(p['~/.config/nvim/lua/plugins.lua']!.type, 'symlink');
    assert.match(p['~/.config/whole']!.link!, /-d$/);
    assert.match(p['~/bin/backup']!.link!, /-x$/);
    assert.match(p['~/bin/not-exec']!.link!, /-r$/);
    assert.deepEqual([p['~/.ssh']!.type, p['~/.ssh']!.uid], ['directory', UID]);
    assert.equal(ran(shown).stdout, '[user]\n  name = Jane\n555\n444\ninit.vim\nlua\n');
    assert.equal(ran(again).status, 0);
    assert.match(ran(again).stdout, /nothing to do/);
    const list = JSON.parse(ran(gens).stdout) as { generations: { number: number }[] };
    assert.deepEqual(
      list.generations.map((g) => g.number),
      [1],
      'a no-op apply makes no generation',
    );
  });

  it('reports every collision at once and changes nothing; identical files, backups and force', () => {
    const h = testHome();
    h.setConfig(
      filesConfig(
        '.a: { text: "a\\n" }',
        '.b: { text: "b\\n" }',
        '.same: { text: "same\\n" }',
        '.forced: { text: "f\\n", force: true }',
      ),
    );
    const setup = [
      own('.a', 'mine a'),
      own('.b', 'mine b'),
      own('.same', 'same\\n'),
      own('.forced', 'old'),
      own('.b.bak', 'older backup'),
    ];
    const [, refused, before, backupTaken, , withBackup, after] = h.run([
      { do: 'sh', cmd: setup.join(' && ') },
      { do: 'user', args: ['home', 'apply'] },
      { do: 'inspect', paths: ['~/.a', '~/.b', '~/.same', '~/.forced'] },
      { do: 'user', args: ['home', 'apply', '--backup', 'bak'] },
      { do: 'sh', cmd: 'rm "$HOME_DIR/.b.bak"' },
      { do: 'user', args: ['home', 'apply', '--backup', 'bak'] },
      {
        do: 'inspect',
        paths: [
          '~/.a',
          '~/.a.bak',
          '~/.b.bak',
          '~/.same',
          '~/.same.bak',
          '~/.forced',
          '~/.forced.bak',
        ],
      },
    ]);
    const r = ran(refused);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\/\.a would be clobbered: a file is there/);
    assert.match(r.stderr, /\/\.b would be clobbered: a file is there/);
    assert.doesNotMatch(r.stderr, /\.same would be clobbered|\.forced would be clobbered/);
    assert.match(r.stderr, /nothing in the home was changed/);
    const p = inspected(before);
    for (const f of ['~/.a', '~/.b', '~/.same', '~/.forced']) assert.equal(p[f]!.type, 'file', f);
    assert.equal(ran(backupTaken).status, 1);
    assert.match(
      ran(backupTaken).stderr,
      /backup-exists: .*\.b is in the way and its backup name .*\.b\.bak is taken too/,
    );
    assert.equal(ran(withBackup).status, 0, ran(withBackup).stderr);
    const q = inspected(after);
    assert.equal(q['~/.a']!.type, 'symlink');
    assert.equal(q['~/.a.bak']!.content, 'mine a');
    assert.equal(q['~/.b.bak']!.content, 'mine b');
    assert.equal(q['~/.same']!.type, 'symlink');
    assert.equal(q['~/.same.bak']!.type, 'missing', 'an identical file needs no backup');
    assert.equal(q['~/.forced']!.type, 'symlink');
    assert.equal(q['~/.forced.bak']!.type, 'missing', 'force replaces without a backup');
  });

  it('removes stale links of earlier generations, only its own, and the directories it made', () => {
    const h = testHome();
    h.setConfig(FILES);
    const [first] = h.run([
      { do: 'user', args: ['home', 'apply'] },
      // The user replaces one link with a file of their own, and points another elsewhere.
      {
        do: 'sh',
        cmd: `cd "$HOME_DIR" && rm .ssh/config && echo mine > .ssh/config && chown ${UID}:${UID} .ssh/config`,
      },
      userLink('~/bin/not-exec', '/tmp'),
    ]);
    assert.equal(ran(first).status, 0, ran(first).stderr);
    h.setConfig(filesConfig('.gitconfig: { text: "[user]\\n  name = Jane Doe\\n" }'));
    const [applied, s] = h.run([
      { do: 'user', args: ['home', 'apply'] },
      {
        do: 'inspect',
        paths: ['~/.config', '~/bin', '~/bin/not-exec', '~/.ssh/config', '~/.gitconfig'],
      },
    ]);
    assert.equal(ran(applied).status, 0, ran(applied).stderr);
    assert.match(
      ran(applied).stdout,
      /not-exec is a link to \/tmp now, not keepsake's link: left alone/,
    );
    const p = inspected(s);
    assert.equal(p['~/.config']!.type, 'missing', 'made by keepsake, empty again: removed');
    assert.deepEqual(p['~/bin']!.names, ['not-exec'], 'the foreign link keeps its directory');
    assert.equal(p['~/bin/not-exec']!.link, '/tmp', 'a link elsewhere is never removed');
    assert.equal(p['~/.ssh/config']!.content, 'mine\n', 'a real file is never removed');
    assert.equal(p['~/.gitconfig']!.type, 'symlink');
  });

  it('one home run at a time per home store', () => {
    const h = testHome();
    h.setConfig(filesConfig('.a: { text: "a" }'));
    const [first, , held] = h.run([
      { do: 'user', args: ['home', 'apply'] },
      { do: 'sh', cmd: 'flock "$DIR/store/hm/lock" sleep 3 >/dev/null 2>&1 & sleep 0.5' },
      { do: 'user', args: ['home', 'apply'] },
    ]);
    assert.equal(ran(first).status, 0, ran(first).stderr);
    assert.equal(ran(held).status, 2);
    assert.match(
      ran(held).stderr,
      /another keepsake is working on .*\/store\/hm: another keepsake home run for tester/,
    );
  });

  it('reports every source it cannot read, and changes nothing', () => {
    const h = testHome();
    h.write('dotfiles/secret', 'root only', 0o600);
    h.setConfig(
      filesConfig(
        '.ok: { text: "fine" }',
        '.missing: { source: ./dotfiles/nothing-here }',
        '.secret: { source: ./dotfiles/secret }',
        '.loop: { source: ./dotfiles/loop, recursive: true }',
      ),
    );
    const [, refused, state] = h.run([
      { do: 'sh', cmd: 'mkdir "$DIR/dotfiles/loop" && ln -s .. "$DIR/dotfiles/loop/up"' },
      { do: 'user', args: ['home', 'apply'] },
      { do: 'inspect', paths: ['~/.ok'] },
    ]);
    const r = ran(refused);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /files\."\.missing": cannot read .*nothing-here: ENOENT/);
    assert.match(r.stderr, /files\."\.secret": cannot read .*secret: EACCES/);
    assert.match(r.stderr, /files\."\.loop": cannot read .*links back to a directory above it/);
    assert.equal(inspected(state)['~/.ok']!.type, 'missing');
  });
});
