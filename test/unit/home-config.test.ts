// users.<name>.files, backupExtension and homeStore: what a valid declaration means, and the
// messages for the wrong ones.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { validateConfig } from '../../src/config/index.js';
import { declaredTargets } from '../../src/diff/scan.js';
import { managedHomeTargets } from '../../src/home/select.js';
import type { Model } from '../../src/model/types.js';
import { writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-home-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

function validate(text: string) {
  const dir = join(tmp, String(counter++));
  const root = join(dir, 'root');
  writeAccounts(root, ['jane', 'colord'], ['colord', 'wheel']);
  const file = join(dir, 'keepsake.yaml');
  writeFileSync(file, text);
  return { ...validateConfig(file, { root }), dir };
}

function load(text: string): Model & { dir: string } {
  const v = validate(text);
  assert.ok(v.model, v.diagnostics.map((d) => d.message).join('\n'));
  return { ...v.model, dir: v.dir };
}

const errors = (text: string) =>
  validate(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.code} ${d.message}`);

describe('home files in the configuration', () => {
  test("every option of Home Manager's home.file", () => {
    const m = load(`users:
  jane:
    backupExtension: bak
    files:
      .gitconfig: { text: "[user]\\n  name = Jane\\n" }
      .config/nvim: { source: ./dotfiles/nvim, recursive: true }
      bin/backup: { source: ./dotfiles/backup.sh, executable: true }
      .ssh/config: { source: ./dotfiles/ssh_config, onChange: "echo changed" }
      other: { text: x, target: .profile, force: true }
      off: { text: x, enable: false }
`);
    const set = m.homeFiles?.[0];
    assert.ok(set);
    assert.equal(set.user.user, 'jane');
    assert.equal(set.backupExtension, 'bak');
    assert.deepEqual(
      set.files.map((f) => f.target),
      [
        '/home/jane/.gitconfig',
        '/home/jane/.config/nvim',
        '/home/jane/bin/backup',
        '/home/jane/.ssh/config',
        '/home/jane/.profile',
      ],
    );
    assert.deepEqual(set.files[0]?.content, { kind: 'text', text: '[user]\n  name = Jane\n' });
    assert.deepEqual(set.files[1]?.content, { kind: 'source', path: `${m.dir}/dotfiles/nvim` });
    assert.equal(set.files[1]?.recursive, true);
    assert.equal(set.files[2]?.executable, true);
    assert.equal(set.files[0]?.executable, undefined);
    assert.equal(set.files[3]?.onChange, 'echo changed');
    assert.equal(set.files[4]?.force, true);
    assert.deepEqual(managedHomeTargets(m), [
      '/home/jane/.config/nvim',
      '/home/jane/.gitconfig',
      '/home/jane/.profile',
      '/home/jane/.ssh/config',
      '/home/jane/bin/backup',
    ]);
    // keepsake diff counts them as declared: links it makes again at every apply.
    for (const t of managedHomeTargets(m)) assert.ok(declaredTargets(m).includes(t), t);
  });

  test('the home store: homeStore, the user’s own storage, a system store, the home', () => {
    const files = 'files: { .a: { text: x } }';
    assert.deepEqual(
      load(`users: { jane: { homeStore: /persist/hm, ${files} } }`).homeFiles?.[0]?.state,
      {
        path: '/persist/hm',
        from: 'homeStore',
      },
    );
    const own = load(`users:
  jane:
    ${files}
    persistence: { /persist/jane: { directories: [.ssh] } }
persistence: { /persist: { directories: [/var/log] } }
`);
    assert.deepEqual(own.homeFiles?.[0]?.state, {
      path: '/persist/jane/.keepsake-home',
      from: 'user-store',
    });
    const system = load(`users: { jane: { ${files} } }
persistence: { /persist: { directories: [/var/log] } }
`);
    assert.deepEqual(system.homeFiles?.[0]?.state, {
      path: '/persist/.keepsake-home/jane',
      from: 'system-store',
    });
    const v = validate(`users: { jane: { ${files} } }`);
    assert.deepEqual(v.model?.homeFiles?.[0]?.state, {
      path: '/home/jane/.local/state/keepsake',
      from: 'home',
    });
    assert.ok(
      v.diagnostics.some((d) => d.code === 'home-state-in-home' && d.severity === 'warning'),
    );
    assert.ok(!v.diagnostics.some((d) => d.code === 'nothing-declared'));
  });

  test('a model without home files has no homeFiles key', () => {
    assert.equal(
      'homeFiles' in load('persistence: { /persist: { directories: [/var/log] } }'),
      false,
    );
  });

  test('every mistake is reported, with its option path', () => {
    const got = errors(`users:
  jane:
    backupExtension: a/b
    homeStore: relative
    files:
      both: { text: x, source: ./y }
      none: { executable: true }
      /abs: { text: x }
      ../up: { text: x }
      typo: { txt: x }
      notext: { text: 3 }
      twice: { text: x, target: .profile }
      .profile: { text: y }
      .config: { text: x }
      .config/inner: { text: y }
      dir: { source: ./d, recursive: true }
      dir/extra: { text: z }
  nobody: {}
  ghost:
    files: { .x: { text: y } }
`);
    const has = (code: string, where: string) =>
      assert.ok(
        got.some((g) => g.startsWith(`${code} `) && g.includes(where)),
        `${code} at ${where} in:\n${got.join('\n')}`,
      );
    has('invalid-value', 'users.jane.backupExtension');
    has('relative-path', 'users.jane.homeStore');
    has('two-contents', 'users.jane.files.both');
    has('no-content', 'users.jane.files.none');
    has('absolute-home-path', 'users.jane.files."/abs"');
    has('dot-dot', 'users.jane.files."../up"');
    has('unknown-key', 'users.jane.files.typo.txt');
    has('wrong-type', 'users.jane.files.notext.text');
    has('duplicate-target', 'users.jane.files.".profile"');
    has('unknown-user', 'users.ghost');
    has('nested-target', 'users.jane.files.".config/inner"');
    assert.ok(!got.some((g) => g.includes('dir/extra')), 'inside a recursive source is fine');
  });
});
