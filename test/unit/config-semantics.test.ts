// What a valid configuration means: the entries of the Model.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig, SCHEMA } from '../../src/config/index.js';
import type { Model, PersistEntry } from '../../src/model/types.js';
import { writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-semantics-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

// jane: uid 1000, gid 1000, /home/jane; colord: 1001; wheel: 2000 (see writeAccounts).
function load(text: string, options: { verbose?: boolean; ext?: string } = {}): Model {
  const dir = join(tmp, String(counter++));
  const root = join(dir, 'root');
  writeAccounts(root, ['jane', 'colord'], ['colord', 'wheel']);
  const file = join(dir, `keepsake.${options.ext ?? 'yaml'}`);
  writeFileSync(file, text);
  return loadConfig(file, { root, ...(options.verbose ? { verbose: true } : {}) });
}

function entry(model: Model, id: string): PersistEntry {
  const e = model.entries.find((x) => x.id === id);
  assert.ok(e, `no entry ${id} in ${model.entries.map((x) => x.id).join(', ')}`);
  return e;
}

const EXAMPLE = `persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/log
      - { directory: /var/lib/colord, user: colord, group: colord, mode: "u=rwx,g=rx,o=" }
    files:
      - /etc/machine-id
      - { file: /etc/nix/id_rsa, parentDirectory: { mode: "u=rwx,g=,o=" } }
    users:
      jane:
        directories: [Downloads, { directory: .gnupg, mode: "0700" }]
        files: [.bash_history]
users:
  jane:
    home: /home/jane
    persistence:
      /persist/home/jane:
        directories: [.ssh, { directory: .local/share/Steam, method: symlink }]
        files: [.screenrc]
        removePrefixDirectory: false
        allowOther: true
`;

describe('the example configuration', () => {
  const model = load(EXAMPLE);

  test('entries, in declaration order', () => {
    assert.deepEqual(
      model.entries.map((e) => e.id),
      [
        'directory:/var/log',
        'directory:/var/lib/colord',
        'file:/etc/machine-id',
        'file:/etc/nix/id_rsa',
        'directory:/home/jane/Downloads',
        'directory:/home/jane/.gnupg',
        'file:/home/jane/.bash_history',
        'directory:/home/jane/.ssh',
        'directory:/home/jane/.local/share/Steam',
        'file:/home/jane/.screenrc',
      ],
    );
    assert.deepEqual(model.stores, ['/persist', '/persist/home/jane']);
    assert.equal(model.verbose, false);
    assert.equal(model.showWarnings, true);
    assert.deepEqual(model.warnings, []);
    assert.match(model.configFile, /^\/.*keepsake\.yaml$/);
  });

  test('a system directory: root-owned 0755 by default, nothing explicit', () => {
    const e = entry(model, 'directory:/var/log');
    assert.equal(e.kind, 'directory');
    assert.equal(e.target, '/var/log');
    assert.equal(e.store, '/persist/var/log');
    assert.equal(e.storeRoot, '/persist');
    assert.equal(e.method, 'auto');
    assert.deepEqual(e.owner, {
      uid: 0,
      gid: 0,
      mode: 0o755,
      explicit: { user: false, group: false, mode: false },
    });
    assert.deepEqual(e.parents, {
      uid: 0,
      gid: 0,
      mode: 0o755,
      explicit: { user: false, group: false, mode: false },
    });
    assert.equal(e.home, undefined);
    assert.equal(e.hideMount, true);
    assert.equal(e.allowTrash, false);
    assert.deepEqual(e.source, {
      file: e.source.file,
      line: 5,
      column: 9,
      option: 'persistence."/persist".directories[0]',
    });
  });

  test('owner, group and symbolic mode named on an entry', () => {
    const e = entry(model, 'directory:/var/lib/colord');
    assert.deepEqual(e.owner, {
      uid: 1001,
      gid: 1001,
      mode: 0o750,
      explicit: { user: true, group: true, mode: true },
    });
  });

  test('a file: 0644 by default, but not explicit; parentDirectory', () => {
    const id = entry(model, 'file:/etc/machine-id');
    assert.deepEqual(id.owner, {
      uid: 0,
      gid: 0,
      mode: 0o644,
      explicit: { user: false, group: false, mode: false },
    });
    const key = entry(model, 'file:/etc/nix/id_rsa');
    assert.deepEqual(key.parents, {
      uid: 0,
      gid: 0,
      mode: 0o700,
      explicit: { user: false, group: false, mode: true },
    });
  });

  test("a location's users: home-relative, owned by the user, stored under <store><home>", () => {
    const e = entry(model, 'directory:/home/jane/.gnupg');
    assert.equal(e.store, '/persist/home/jane/.gnupg');
    assert.equal(e.storeRoot, '/persist');
    assert.deepEqual(e.home, { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' });
    assert.deepEqual(e.owner, {
      uid: 1000,
      gid: 1000,
      mode: 0o700,
      explicit: { user: false, group: false, mode: true },
    });
    assert.deepEqual(e.parents, {
      uid: 1000,
      gid: 1000,
      mode: 0o755,
      explicit: { user: false, group: false, mode: false },
    });
    assert.equal(e.hideMount, true);
    assert.equal(e.source.option, 'persistence."/persist".users.jane.directories[1]');
  });

  test('the classic Home Manager layout: stored at <key>/<entry>', () => {
    const ssh = entry(model, 'directory:/home/jane/.ssh');
    assert.equal(ssh.store, '/persist/home/jane/.ssh');
    assert.equal(ssh.storeRoot, '/persist/home/jane');
    assert.equal(ssh.method, 'auto');
    assert.equal(ssh.hideMount, false);
    assert.deepEqual(ssh.home, { user: 'jane', uid: 1000, gid: 1000, path: '/home/jane' });
    assert.equal(ssh.owner.uid, 1000);
    const steam = entry(model, 'directory:/home/jane/.local/share/Steam');
    assert.equal(steam.method, 'symlink');
    assert.equal(steam.source.option, 'users.jane.persistence."/persist/home/jane".directories[1]');
  });
});

describe("Home Manager classic versus a location's users", () => {
  test('the same entry lands at the same target but is stored differently', () => {
    const location = load(
      'persistence:\n  /persist:\n    users:\n      jane:\n        directories: [.ssh]\n',
    );
    const classic = load(
      'users:\n  jane:\n    persistence:\n      /persist:\n        directories: [.ssh]\n',
    );
    const a = entry(location, 'directory:/home/jane/.ssh');
    const b = entry(classic, 'directory:/home/jane/.ssh');
    assert.equal(a.store, '/persist/home/jane/.ssh');
    assert.equal(b.store, '/persist/.ssh');
    assert.equal(a.storeRoot, '/persist');
    assert.equal(b.storeRoot, '/persist');
  });

  test('removePrefixDirectory drops the first component on the home side only', () => {
    const m = load(`users:
  jane:
    persistence:
      /persist/jane:
        removePrefixDirectory: true
        directories: [gpg/.gnupg, data/books, "firefox/.cache/mozilla/"]
        files: [bash/.bash_history]
`);
    assert.deepEqual(
      m.entries.map((e) => [e.target, e.store]),
      [
        ['/home/jane/.gnupg', '/persist/jane/gpg/.gnupg'],
        ['/home/jane/books', '/persist/jane/data/books'],
        ['/home/jane/.cache/mozilla', '/persist/jane/firefox/.cache/mozilla'],
        ['/home/jane/.bash_history', '/persist/jane/bash/.bash_history'],
      ],
    );
  });

  test('bindfs is a bind mount; symlink is a link', () => {
    const m = load(`users:
  jane:
    persistence:
      /persist/jane:
        directories:
          - { directory: a, method: bindfs }
          - { directory: b, method: symlink }
          - { directory: c, method: auto }
`);
    assert.deepEqual(
      m.entries.map((e) => e.method),
      ['auto', 'symlink', 'auto'],
    );
  });

  test('home from users.<name>.home, and from the block itself', () => {
    const m = load(`users:
  jane:
    home: /data/jane/
persistence:
  /persist:
    users:
      jane:
        files: [.profile]
      colord:
        home: /srv/colord
        files: [.profile]
`);
    assert.equal(entry(m, 'file:/data/jane/.profile').store, '/persist/data/jane/.profile');
    assert.equal(entry(m, 'file:/srv/colord/.profile').home?.uid, 1001);
  });

  test('an entry may name another owner inside a home', () => {
    const m = load(
      'persistence:\n  /persist:\n    users:\n      jane:\n        directories: [{ directory: shared, group: wheel }]\n',
    );
    assert.deepEqual(entry(m, 'directory:/home/jane/shared').owner, {
      uid: 1000,
      gid: 2000,
      mode: 0o755,
      explicit: { user: false, group: true, mode: false },
    });
  });
});

describe('locations', () => {
  test('a named location with persistentStoragePath', () => {
    const m = load(
      'persistence:\n  system:\n    persistentStoragePath: /persistent/system\n    directories: [/var/log]\n',
    );
    assert.equal(entry(m, 'directory:/var/log').store, '/persistent/system/var/log');
    assert.deepEqual(m.stores, ['/persistent/system']);
  });

  test('adopt: true on a location applies to its entries; an entry may say otherwise', () => {
    const m = load(
      'persistence:\n  /persist:\n    adopt: true\n    directories:\n      - /var/log\n      - { directory: /srv, adopt: false }\n  /state:\n    directories: [/var/lib/x]\n',
    );
    assert.equal(entry(m, 'directory:/var/log').adopt, true);
    assert.equal(entry(m, 'directory:/srv').adopt, false);
    assert.equal(entry(m, 'directory:/var/lib/x').adopt, false);
  });

  test('an entry-level persistentStoragePath overrides the location', () => {
    const m = load(
      'persistence:\n  /persist:\n    directories:\n      - /var/log\n      - { directory: /var/cache/big, persistentStoragePath: /scratch }\n',
    );
    const e = entry(m, 'directory:/var/cache/big');
    assert.equal(e.store, '/scratch/var/cache/big');
    assert.equal(e.storeRoot, '/scratch');
    assert.deepEqual(m.stores, ['/persist', '/scratch']);
  });

  test('enable: false drops every entry of the location, even with unknown users', () => {
    const m = load(`persistence:
  /persist:
    directories: [/var/log]
  /old:
    enable: false
    directories: [/var/log, { directory: /var/lib/x, user: nobody }]
    users:
      ghost:
        directories: [.cache]
`);
    assert.deepEqual(
      m.entries.map((e) => e.id),
      ['directory:/var/log'],
    );
    assert.deepEqual(m.stores, ['/persist']);
  });

  test('hideMount and allowTrash on an entry override the location', () => {
    const m = load(`persistence:
  /persist:
    hideMounts: true
    allowTrash: true
    directories:
      - /a
      - { directory: /b, hideMount: false, allowTrash: false }
`);
    assert.deepEqual(
      m.entries.map((e) => [e.hideMount, e.allowTrash]),
      [
        [true, true],
        [false, false],
      ],
    );
  });

  test('enableDebugging and enableWarnings', () => {
    const m = load(
      'persistence:\n  /p:\n    enableDebugging: true\n    enableWarnings: false\n    directories: [/a]\n',
    );
    assert.equal(m.verbose, true);
    assert.equal(m.showWarnings, false);
    assert.equal(
      load('persistence:\n  /p:\n    directories: [/a]\n', { verbose: true }).verbose,
      true,
    );
  });

  test('null means "not set"', () => {
    const m = load(
      'persistence:\n  /p:\n    hideMounts: null\n    directories: [/a]\n    files:\n',
    );
    assert.equal(m.entries[0]?.hideMount, false);
  });
});

describe('paths as real configurations write them', () => {
  test('trailing and doubled slashes, ./ prefixes, spaces', () => {
    const m = load(`persistence:
  /persist/:
    directories: ["/var/lib//bluetooth/", /srv/]
    users:
      jane:
        directories: ["./Documents/", "VirtualBox VMs", ".local//share/Smart Code ltd/Stremio"]
`);
    assert.deepEqual(
      m.entries.map((e) => [e.target, e.store]),
      [
        ['/var/lib/bluetooth', '/persist/var/lib/bluetooth'],
        ['/srv', '/persist/srv'],
        ['/home/jane/Documents', '/persist/home/jane/Documents'],
        ['/home/jane/VirtualBox VMs', '/persist/home/jane/VirtualBox VMs'],
        [
          '/home/jane/.local/share/Smart Code ltd/Stremio',
          '/persist/home/jane/.local/share/Smart Code ltd/Stremio',
        ],
      ],
    );
    assert.deepEqual(m.stores, ['/persist']);
  });

  test('3-digit, numeric and octal-literal modes', () => {
    const m = load(`persistence:
  /p:
    directories:
      - { directory: /a, mode: "750" }
      - { directory: /b, mode: 0700 }
      - { directory: /c, mode: 0o711 }
      - { directory: /d, mode: 2775 }
`);
    assert.deepEqual(
      m.entries.map((e) => e.owner.mode),
      [0o750, 0o700, 0o711, 0o2775],
    );
    const t = load(
      '[persistence."/p"]\ndirectories = [{ directory = "/a", mode = 0o700 }, { directory = "/b", mode = 755 }]\n',
      { ext: 'toml' },
    );
    assert.deepEqual(
      t.entries.map((e) => e.owner.mode),
      [0o700, 0o755],
    );
  });
});

describe('nested entries', () => {
  test('inside a directory from the same store: a redundant warning', () => {
    const m = load(
      'persistence:\n  /persist:\n    directories: [/var/lib/private, /var/lib/private/scrutiny]\n',
    );
    assert.equal(m.entries.length, 2);
    assert.equal(m.warnings.length, 1);
    const w = m.warnings[0]!;
    assert.equal(w.code, 'nested-same-store');
    assert.equal(w.severity, 'warning');
    assert.match(
      w.message,
      /^persistence."\/persist".directories\[1\]: "\/var\/lib\/private\/scrutiny" is redundant: it lies inside "\/var\/lib\/private", which is persisted from the same store by persistence."\/persist".directories\[0\] \(.*keepsake.yaml:3:19\)$/,
    );
    assert.deepEqual([w.source?.line, w.source?.column], [3, 37]);
  });

  test('inside a directory from another store: fine', () => {
    const m = load(`persistence:
  /persist:
    users:
      jane:
        directories: [.local/share/Steam]
  /games:
    users:
      jane:
        directories: [.local/share/Steam/userdata]
`);
    assert.equal(m.entries.length, 2);
    assert.deepEqual(m.warnings, []);
  });

  test('a file inside a symlinked directory of the same store is only redundant', () => {
    const m = load(
      'persistence:\n  /p:\n    directories: [{ directory: /srv, method: symlink }]\n    files: [/srv/x]\n',
    );
    assert.deepEqual(
      m.warnings.map((w) => w.code),
      ['nested-same-store'],
    );
  });

  test('a directory mode that locks its owner out is a warning', () => {
    const m = load('persistence:\n  /p:\n    directories: [{ directory: /a, mode: "0600" }]\n');
    assert.deepEqual(
      m.warnings.map((w) => [w.code, w.hint]),
      [['mode-not-searchable', 'add x for the owner, e.g. "0700"']],
    );
  });
});

describe('the schema', () => {
  test('describes every option with a type and a description', () => {
    const names = new Set<string>();
    for (const section of SCHEMA) {
      assert.ok(section.title && section.description);
      for (const o of section.options) {
        assert.ok(o.description.length > 10, `${section.id}.${o.name}`);
        assert.ok(o.typeLabel.length > 0);
        names.add(o.name);
      }
    }
    for (const name of [
      'persistence',
      'users',
      'enable',
      'persistentStoragePath',
      'hideMounts',
      'allowTrash',
      'enableWarnings',
      'enableDebugging',
      'directories',
      'files',
      'home',
      'removePrefixDirectory',
      'allowOther',
      'directory',
      'file',
      'user',
      'group',
      'mode',
      'method',
      'hideMount',
      'parentDirectory',
    ]) {
      assert.ok(names.has(name), name);
    }
  });
});
