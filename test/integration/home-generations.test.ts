// Home generations as a real unprivileged user: a record that survives a tmpfs home being
// wiped, rollback and expiry, onChange, and an apply interrupted after every single step.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireNamespaces } from '../helpers/boot.js';
import { filesConfig, homesOfSuite, inspected, ran, type TestHome, UID } from '../helpers/home.js';

const skip = requireNamespaces();
const testHome = homesOfSuite((h) => h.userDir('store'));

const TMPFS_HOME = `mount -n -t tmpfs -o mode=0700,uid=${UID},gid=${UID} tmpfs "$HOME_DIR"`;
const REBOOT = `umount -n "$HOME_DIR" && ${TMPFS_HOME}`;
const use = (name: string) => ({
  do: 'sh' as const,
  cmd: `cp "$DIR/${name}" "$DIR/keepsake.yaml"`,
});

describe('home generations', { skip }, () => {
  it('keeps its record outside a tmpfs home: after a reboot it still cleans up, rolls back and expires', () => {
    const h = testHome();
    const config = (a: string, withB: boolean) => `users:
  tester:
    persistence:
      $DIR/store/tester: { directories: [Music] }
    files:
      .a: { text: "${a}" }
${withB ? '      .b: { text: "b" }\n' : ''}`;
    h.write('one.yaml', config('a', true).replaceAll('$DIR', h.dir));
    h.write('two.yaml', config('a2', false).replaceAll('$DIR', h.dir));
    const results = h.run([
      { do: 'sh', cmd: TMPFS_HOME },
      use('one.yaml'),
      { do: 'user', args: ['home', 'apply'] },
      { do: 'sh', cmd: `echo tune > "$HOME_DIR/Music/song" && echo x > "$HOME_DIR/scratch"` },
      { do: 'sh', cmd: REBOOT },
      { do: 'inspect', paths: ['~/.a', '~/scratch', '~/Music'] },
      // This boot's first apply links the same generation again.
      { do: 'user', args: ['home', 'apply'] },
      { do: 'inspect', paths: ['~/.b', '~/Music/song'] },
      use('two.yaml'),
      { do: 'user', args: ['home', 'apply'] },
      { do: 'inspect', paths: ['~/.a', '~/.b'] },
      { do: 'user', args: ['home', 'rollback'] },
      { do: 'sh', cmd: 'cat "$HOME_DIR/.a" "$HOME_DIR/.b"' },
      { do: 'user', args: ['home', 'generations', '--json'] },
      { do: 'user', args: ['home', 'expire', '--keep', '1'] },
      { do: 'user', args: ['home', 'generations', '--json'] },
      { do: 'sh', cmd: `ls "$DIR/store/tester/.keepsake-home/files" | wc -l` },
    ]);
    const [
      ,
      ,
      first,
      ,
      ,
      wiped,
      relinked,
      afterReboot,
      ,
      second,
      dropped,
      rollback,
      contents,
      gens,
      expire,
      left,
      blobs,
    ] = results;
    assert.equal(ran(first).status, 0, ran(first).stderr);
    const w = inspected(wiped);
    assert.deepEqual(
      [w['~/.a']!.type, w['~/scratch']!.type, w['~/Music']!.type],
      ['missing', 'missing', 'missing'],
    );
    assert.equal(ran(relinked).status, 0, ran(relinked).stderr);
    assert.match(ran(relinked).stdout, /same generation/);
    const r = inspected(afterReboot);
    assert.equal(r['~/.b']!.type, 'symlink');
    assert.equal(r['~/Music/song']!.content, 'tune\n', 'the persistence link leads to the store');
    assert.equal(ran(second).status, 0, ran(second).stderr);
    const d = inspected(dropped);
    assert.equal(d['~/.b']!.type, 'missing', 'the link made after the wipe is removed');
    assert.equal(d['~/.a']!.type, 'symlink');
    assert.equal(ran(rollback).status, 0, ran(rollback).stderr);
    assert.equal(ran(contents).stdout, 'ab');
    const list = JSON.parse(ran(gens).stdout) as {
      current: number;
      generations: { number: number; rollbackOf?: number; state: string }[];
    };
    assert.deepEqual(
      list.generations.map((g) => [g.number, g.rollbackOf ?? null, g.state]),
      [
        [1, null, 'complete'],
        [2, null, 'complete'],
        [3, 1, 'complete'],
      ],
    );
    assert.equal(list.current, 3);
    assert.match(ran(expire).stdout, /deleted home generations 1, 2/);
    const remaining = JSON.parse(ran(left).stdout) as { generations: { number: number }[] };
    assert.deepEqual(
      remaining.generations.map((g) => g.number),
      [3],
    );
    assert.equal(ran(blobs).stdout.trim(), '2', 'the content only generation 2 used is gone');
  });

  it('runs onChange as the user, in the home, only for content that changed; a failure is reported', () => {
    const h = testHome();
    const config = (c: string) =>
      filesConfig(
        '.a: { text: "a", onChange: "id -u > who; pwd >> who" }',
        '.b: { text: "b", onChange: "echo failing; exit 3" }',
        `.c: { text: "${c}", onChange: "echo run >> c.runs" }`,
      );
    h.write('one.yaml', config('c1').replaceAll('$DIR', h.dir));
    h.write('two.yaml', config('c2').replaceAll('$DIR', h.dir));
    const [, first, who, , again, , changed, runs] = h.run([
      use('one.yaml'),
      { do: 'user', args: ['home', 'apply'] },
      { do: 'sh', cmd: 'cat "$HOME_DIR/who"; rm "$HOME_DIR/who"' },
      { do: 'sh', cmd: 'true' },
      { do: 'user', args: ['home', 'apply'] },
      use('two.yaml'),
      { do: 'user', args: ['home', 'apply'] },
      { do: 'inspect', paths: ['~/who', '~/c.runs', '~/.b'] },
    ]);
    const f = ran(first);
    assert.equal(f.status, 1, 'a failed onChange makes the run fail');
    assert.match(f.stdout, /onChange of .*\/\.b: failed \(status 3\)\n\s+failing/);
    assert.match(f.stdout, /onChange of .*\/\.c: ran/);
    assert.equal(ran(who).stdout, `${UID}\n${h.home}\n`);
    assert.doesNotMatch(ran(again).stdout, /onChange/);
    assert.match(ran(changed).stdout, /onChange of .*\/\.c: ran/);
    assert.doesNotMatch(ran(changed).stdout, /onChange of .*\/\.a/);
    const p = inspected(runs);
    assert.equal(p['~/who']!.type, 'missing');
    assert.equal(p['~/c.runs']!.content, 'run\nrun\n');
    assert.equal(p['~/.b']!.type, 'symlink');
  });

  it('converges when an apply is interrupted after any step', () => {
    const h0 = testHome();
    h0.write('dot/nvim/init.vim', 'set nu\n');
    h0.write('dot/nvim/lua/x.lua', 'x\n');
    const keep = '.keep: { text: "k" }';
    const change = (text: string) =>
      `.change: { text: "${text}", onChange: "echo ran >> changes" }`;
    const one = filesConfig(
      keep,
      change('old'),
      '.gone: { text: "g" }',
      'deep/er/gone: { text: "g" }',
      '.config/nvim: { source: ./dot/nvim, recursive: true }',
    );
    const two = filesConfig(
      keep,
      change('new'),
      '.new/file: { text: "n" }',
      '.config/nvim: { source: ./dot/nvim }',
    );
    const paths = [
      '~/.keep',
      '~/.change',
      '~/.gone',
      '~/deep',
      '~/.new/file',
      '~/.config/nvim',
      '~/changes',
    ];
    const scenario = (h: TestHome, stop?: number) => {
      for (const [n, text] of [
        ['one.yaml', one],
        ['two.yaml', two],
      ] as const)
        h.write(n, text.replaceAll('$DIR', h.dir));
      h.write('dot/nvim/init.vim', 'set nu\n');
      h.write('dot/nvim/lua/x.lua', 'x\n');
      const results = h.run([
        use('one.yaml'),
        { do: 'user', args: ['home', 'apply'] },
        use('two.yaml'),
        ...(stop === undefined
          ? []
          : [
              {
                do: 'user' as const,
                args: ['home', 'apply'],
                env: { KEEPSAKE_TEST_HOME_STOP_AFTER: String(stop) },
              },
            ]),
        { do: 'user', args: ['home', 'apply'] },
        { do: 'inspect', paths },
        { do: 'sh', cmd: 'cat "$HOME_DIR/.change" "$HOME_DIR/.keep"' },
      ]);
      const last = results.at(-3);
      assert.equal(ran(last).status, 0, `stop ${stop}: ${ran(last).stderr}`);
      if (stop !== undefined) {
        const cut = ran(results.at(-4));
        assert.equal(cut.status, 1, `stop ${stop} interrupts: ${cut.stdout}`);
        assert.match(cut.stdout, /stopped \(KEEPSAKE_TEST_HOME_STOP_AFTER\)/);
      }
      const state = inspected(results.at(-2));
      for (const p of Object.values(state)) delete p.link; // the same content, in another store
      return { state, content: ran(results.at(-1)).stdout };
    };
    const reference = scenario(h0);
    assert.equal(reference.content, 'newk');
    assert.equal(reference.state['~/.gone']!.type, 'missing');
    assert.equal(reference.state['~/deep']!.type, 'missing');
    assert.equal(reference.state['~/.config/nvim']!.type, 'symlink');
    assert.equal(reference.state['~/changes']!.content, 'ran\nran\n');
    // two.yaml's plan has 12 actions: 4 stale links, 4 empty directories, 1 mkdir, 3 links.
    for (let stop = 0; stop < 12; stop++) {
      const h = testHome();
      const got = scenario(h, stop);
      assert.deepEqual(got, reference, `interrupted after ${stop} steps`);
    }
  });
});
