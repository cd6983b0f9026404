// Validation messages: each kind of mistake, where it is reported, and what it says.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatDiagnostic, loadConfig, validateConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import type { Diagnostic } from '../../src/model/types.js';
import { writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-errors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

function setup(text: string, ext = 'yaml'): { file: string; root: string } {
  const dir = join(tmp, String(counter++));
  const root = join(dir, 'root');
  writeAccounts(root, ['jane', 'colord'], ['colord', 'wheel']);
  const file = join(dir, `keepsake.${ext}`);
  writeFileSync(file, text);
  return { file, root };
}

/** Every diagnostic for a configuration. */
function diagnose(text: string, ext = 'yaml'): Diagnostic[] {
  const { file, root } = setup(text, ext);
  return validateConfig(file, { root }).diagnostics;
}

/** The errors for a configuration, as [code, line, column, message]. */
function errors(text: string, ext = 'yaml') {
  return diagnose(text, ext)
    .filter((d) => d.severity === 'error')
    .map((d) => ({
      code: d.code,
      line: d.source?.line,
      column: d.source?.column,
      message: d.message,
      hint: d.hint,
    }));
}

/** The single error of a configuration. */
function only(text: string, ext = 'yaml') {
  const es = errors(text, ext);
  assert.equal(es.length, 1, `expected one error, got ${JSON.stringify(es, null, 2)}`);
  return es[0]!;
}

const loc = (body: string) => `persistence:\n  /persist:\n${body}`;

describe('unknown keys', () => {
  test('a misspelt option gets a "did you mean"', () => {
    const e = only(loc('    hidemounts: true\n'));
    assert.equal(e.code, 'unknown-key');
    assert.equal(
      e.message,
      'persistence."/persist".hidemounts: unknown option "hidemounts"; did you mean `hideMounts`?',
    );
    assert.deepEqual([e.line, e.column], [3, 5]);
    assert.match(
      e.hint!,
      /^rename it to `hideMounts` \(valid options here: enable, persistentStoragePath, hideMounts/,
    );
  });

  test('an entry option with a typo', () => {
    const e = only(loc('    directories:\n      - { directory: /var/lib/x, hideMounts: true }\n'));
    assert.equal(
      e.message,
      'persistence."/persist".directories[0].hideMounts: unknown option "hideMounts"; did you mean `hideMount`?',
    );
    assert.deepEqual([e.line, e.column], [4, 34]);
  });

  test('an option that belongs elsewhere says where', () => {
    const e = only(loc('    removePrefixDirectory: true\n'));
    assert.equal(
      e.message,
      'persistence."/persist".removePrefixDirectory: option `removePrefixDirectory` is not accepted in a storage location; it belongs in users.<user>.persistence.<storage-dir>',
    );
  });

  test('an unknown key with nothing close lists the valid ones', () => {
    const e = only(loc('    colour: blue\n'));
    assert.equal(e.message, 'persistence."/persist".colour: unknown option "colour"');
    assert.match(e.hint!, /^valid options here: enable, /);
  });

  test("NixOS's environment.persistence pasted as is", () => {
    const e = only('environment:\n  persistence: {}\n');
    assert.equal(e.message, 'environment: unknown option "environment"');
    assert.match(e.hint!, /top-level `persistence`/);
  });

  test('options written where a location belongs', () => {
    const e = only('persistence:\n  directories: [/var/log]\n');
    assert.equal(e.code, 'missing-location');
    assert.equal(
      e.message,
      'persistence.directories: `directories` is an option of a storage location, but it is written where a location belongs',
    );
    assert.equal(e.hint, 'nest it under a location: persistence."/persist".directories');
  });
});

describe('types and values', () => {
  test('a boolean written as a word', () => {
    const e = only(loc('    hideMounts: yes\n'));
    assert.equal(e.code, 'wrong-type');
    assert.equal(e.message, 'persistence."/persist".hideMounts: expected true or false, got "yes"');
    assert.deepEqual([e.line, e.column], [3, 17]);
  });

  test('a quoted boolean', () => {
    const e = only(loc('    hideMounts: "true"\n'));
    assert.equal(e.hint, 'remove the quotes: hideMounts: true');
  });

  test('a single path where a list belongs', () => {
    const e = only(loc('    directories: /var/log\n'));
    assert.equal(
      e.message,
      'persistence."/persist".directories: expected a list of paths or entries, got "/var/log"',
    );
    assert.equal(e.hint, 'write it as a list: directories: [ "/var/log" ]');
  });

  test('a bad method lists the valid choices', () => {
    const e = only(loc('    directories:\n      - { directory: /var/lib/x, method: bindfs }\n'));
    assert.equal(e.code, 'invalid-value');
    assert.equal(
      e.message,
      'persistence."/persist".directories[0].method: "bindfs" is not a valid method; valid choices: "auto", "symlink"',
    );
    assert.deepEqual([e.line, e.column], [4, 42]);
  });

  test('a misspelt method gets a suggestion', () => {
    const e = only(loc('    directories:\n      - { directory: /var/lib/x, method: symlnk }\n'));
    assert.match(e.message, /valid choices: "auto", "symlink"; did you mean "symlink"\?$/);
  });

  test('a bad mode', () => {
    const e = only(loc('    directories:\n      - directory: /var/lib/x\n        mode: "0799"\n'));
    assert.equal(e.code, 'invalid-mode');
    assert.equal(
      e.message,
      'persistence."/persist".directories[0].mode: "0799" is not a valid mode (octal digits are 0 to 7); write an octal mode such as "0755", "755" or "2775", or a symbolic mode such as "u=rwx,g=rx,o="',
    );
    assert.deepEqual([e.line, e.column], [5, 15]);
  });

  test('a bad parentDirectory mode', () => {
    const e = only(
      loc('    files:\n      - { file: /etc/x, parentDirectory: { mode: "u=rwq" } }\n'),
    );
    assert.equal(e.code, 'invalid-mode');
    assert.match(
      e.message,
      /^persistence."\/persist".files\[0\].parentDirectory.mode: "u=rwq" is not a valid mode/,
    );
  });

  test('an entry that is neither a path nor a map', () => {
    const e = only(loc('    directories:\n      - 42\n'));
    assert.equal(e.code, 'invalid-entry');
    assert.equal(
      e.message,
      'persistence."/persist".directories[0]: expected a path or an entry map, got 42',
    );
  });

  test('a file entry under directories', () => {
    const e = only(loc('    directories:\n      - { file: /etc/machine-id }\n'));
    assert.equal(e.code, 'wrong-list');
    assert.equal(
      e.message,
      'persistence."/persist".directories[0]: this is a file entry (it has `file`), but it is listed under directories',
    );
    assert.equal(e.hint, 'move it to files, or rename `file` to `directory`');
  });

  test('an entry without its path', () => {
    const e = only(loc('    directories:\n      - { mode: "0700" }\n'));
    assert.equal(e.code, 'missing-path');
    assert.equal(e.message, 'persistence."/persist".directories[0]: the entry has no `directory`');
  });
});

describe('paths', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    [
      'var/log',
      'relative-path',
      '"var/log" is a relative path; system paths must be absolute',
      /^write "\/var\/log"/,
    ],
    [
      '/var/../etc',
      'dot-dot',
      '"/var/../etc" contains a ".." component; paths must not climb out of their base',
      /"\/etc"/,
    ],
    [
      '/',
      'root-path',
      '"/" is the root directory itself, which cannot be persisted this way',
      /directories under \//,
    ],
    ['""', 'empty-path', 'the path is empty', /write a path/],
  ];
  for (const [path, code, message, hint] of cases) {
    test(`system path ${path}: ${code}`, () => {
      const e = only(loc(`    directories:\n      - ${path}\n`));
      assert.equal(e.code, code);
      assert.equal(e.message, `persistence."/persist".directories[0]: ${message}`);
      assert.match(e.hint!, hint);
      assert.deepEqual([e.line, e.column], [4, 9]);
    });
  }

  const home = (entry: string) =>
    `persistence:\n  /persist:\n    users:\n      jane:\n        directories:\n          - ${entry}\n`;
  const homeCases: Array<[string, string, string, string]> = [
    [
      '/home/jane/.ssh',
      'absolute-home-path',
      '"/home/jane/.ssh" is an absolute path, but entries of a user are relative to their home directory',
      'write ".ssh" (relative to /home/jane)',
    ],
    [
      '~/.ssh',
      'tilde-path',
      '"~/.ssh" starts with "~", which is not expanded; entries of a user are already relative to their home',
      'write ".ssh"',
    ],
    [
      '../jane2/x',
      'dot-dot',
      '"../jane2/x" contains a ".." component; paths must not climb out of their base',
      'write the path without ".." components',
    ],
    [
      './',
      'home-itself',
      '"./" names the home directory itself',
      'to persist a whole home, declare it as a system directory, e.g. "/home/jane"',
    ],
  ];
  for (const [entry, code, message, hint] of homeCases) {
    test(`home path ${entry}: ${code}`, () => {
      const e = only(home(entry));
      assert.equal(e.code, code);
      assert.equal(e.message, `persistence."/persist".users.jane.directories[0]: ${message}`);
      assert.equal(e.hint, hint);
      assert.deepEqual([e.line, e.column], [6, 13]);
    });
  }

  test('surrounding whitespace is removed, with a warning', () => {
    const ds = diagnose(loc('    directories:\n      - " /var/log "\n'));
    assert.deepEqual(
      ds.map((d) => [d.severity, d.code, d.message]),
      [
        [
          'warning',
          'path-whitespace',
          'persistence."/persist".directories[0]: " /var/log " has leading or trailing whitespace; it is read as "/var/log"',
        ],
      ],
    );
  });

  test('a location named by a name needs persistentStoragePath', () => {
    const e = only('persistence:\n  system:\n    directories: [/var/log]\n');
    assert.equal(e.code, 'location-not-path');
    assert.equal(
      e.message,
      'persistence.system: the location "system" is a name, not a path, and has no persistentStoragePath',
    );
    assert.deepEqual([e.line, e.column], [2, 3]);
  });

  test('removePrefixDirectory with nothing left', () => {
    const e = only(
      'users:\n  jane:\n    persistence:\n      /persist/jane:\n        removePrefixDirectory: true\n        directories: [gpg]\n',
    );
    assert.equal(e.code, 'prefix-only');
    assert.equal(
      e.message,
      'users.jane.persistence."/persist/jane".directories[0]: "gpg" has nothing left once removePrefixDirectory drops its first component',
    );
  });
});

describe('duplicates', () => {
  test('the same path twice in one list, however it is written', () => {
    const e = only(loc('    directories:\n      - /var/log\n      - /var//log/\n'));
    assert.equal(e.code, 'duplicate-target');
    assert.match(
      e.message,
      /^persistence."\/persist".directories\[1\]: "\/var\/log" is already declared at persistence."\/persist".directories\[0\] \(.*keepsake.yaml:4:9\)$/,
    );
    assert.deepEqual([e.line, e.column], [5, 9]);
  });

  test('across locations', () => {
    const e = only(
      'persistence:\n  /persist:\n    directories: [/var/log]\n  /state:\n    directories: [/var/log]\n',
    );
    assert.match(
      e.message,
      /^persistence."\/state".directories\[0\]: "\/var\/log" is already declared at persistence."\/persist".directories\[0\]/,
    );
  });

  test("between a system entry and a user's home", () => {
    const e = only(
      'persistence:\n  /persist:\n    directories: [/home/jane/.ssh]\n    users:\n      jane:\n        directories: [.ssh]\n',
    );
    assert.equal(e.code, 'duplicate-target');
    assert.match(
      e.message,
      /^persistence."\/persist".users.jane.directories\[0\]: "\/home\/jane\/.ssh" is already declared at persistence."\/persist".directories\[0\]/,
    );
  });

  test('between the two home layouts, as a directory and a file', () => {
    const e = only(
      'persistence:\n  /persist:\n    users:\n      jane:\n        files: [.ssh]\nusers:\n  jane:\n    persistence:\n      /persist/home/jane:\n        directories: [.ssh]\n',
    );
    assert.match(e.message, /is already declared at .*\(as a file there, as a directory here\)$/);
  });
});

describe('users and groups', () => {
  test('an unknown user on an entry', () => {
    const e = only(loc('    directories:\n      - { directory: /var/lib/x, user: colrod }\n'));
    assert.equal(e.code, 'unknown-user');
    assert.match(
      e.message,
      /^persistence."\/persist".directories\[0\].user: user "colrod" does not exist in .*\/etc\/passwd$/,
    );
    assert.match(e.hint!, /^did you mean "colord"\?/);
    assert.deepEqual([e.line, e.column], [4, 40]);
  });

  test('an unknown group on parentDirectory', () => {
    const e = only(
      loc('    files:\n      - { file: /etc/x, parentDirectory: { group: nogroup } }\n'),
    );
    assert.equal(e.code, 'unknown-group');
    assert.match(
      e.message,
      /^persistence."\/persist".files\[0\].parentDirectory.group: group "nogroup" does not exist in .*\/etc\/group$/,
    );
  });

  test('numeric ids need no account', () => {
    assert.deepEqual(
      errors(
        loc('    directories:\n      - { directory: /var/lib/x, user: 4242, group: "4243" }\n'),
      ),
      [],
    );
  });

  test('an unknown user block', () => {
    const e = only(
      'persistence:\n  /persist:\n    users:\n      jnae:\n        directories: [.ssh]\n',
    );
    assert.equal(e.code, 'unknown-user');
    assert.match(e.message, /^persistence."\/persist".users.jnae: user "jnae" does not exist in /);
    assert.match(e.hint!, /did you mean "jane"/);
    assert.deepEqual([e.line, e.column], [4, 7]);
  });

  test('an unknown user in the classic layout', () => {
    const e = only(
      'users:\n  bob:\n    persistence:\n      /persist/bob:\n        directories: [.ssh]\n',
    );
    assert.equal(e.code, 'unknown-user');
    assert.match(e.message, /^users.bob: user "bob" does not exist in /);
  });
});

describe('nesting, symlinks and stores', () => {
  test('an entry inside a symlinked directory from another store', () => {
    const e = only(
      'persistence:\n  /persist:\n    directories:\n      - { directory: /srv/data, method: symlink }\n  /state:\n    files: [/srv/data/db]\n',
    );
    assert.equal(e.code, 'inside-symlink');
    assert.match(
      e.message,
      /^persistence."\/state".files\[0\]: "\/srv\/data\/db" lies inside "\/srv\/data", which persistence."\/persist".directories\[0\] .* makes a symbolic link into \/persist\/srv\/data/,
    );
  });

  test('an entry inside a file', () => {
    const e = only(loc('    files: [/etc/foo]\n    directories: [/etc/foo/bar]\n'));
    assert.equal(e.code, 'inside-file');
  });

  test('a target inside a store', () => {
    const e = only(loc('    directories: [/persist/cache]\n'));
    assert.equal(e.code, 'target-in-store');
    assert.equal(
      e.message,
      'persistence."/persist".directories[0]: "/persist/cache" lies inside the storage location /persist; a store cannot be persisted into itself',
    );
  });

  test('a target that would hide a store', () => {
    const e = only('persistence:\n  /nix/persist:\n    directories: [/nix]\n');
    assert.equal(e.code, 'store-under-target');
  });
});

describe('collecting everything', () => {
  const THREE = `persistence:
  /persist:
    hideMount: true
    directories:
      - var/log
      - { directory: /var/lib/colord, mode: "0800" }
`;

  test('a file with three mistakes gets three messages, in file order', () => {
    const { file, root } = setup(THREE);
    let caught: unknown;
    try {
      loadConfig(file, { root });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof ConfigError);
    assert.equal(caught.message, 'configuration has 3 errors');
    assert.deepEqual(
      caught.diagnostics.map((d) => [d.code, d.source?.line, d.source?.column]),
      [
        ['unknown-key', 3, 5],
        ['relative-path', 5, 9],
        ['invalid-mode', 6, 45],
      ],
    );
    const text = caught.diagnostics.map(formatDiagnostic).join('\n');
    assert.match(text, /did you mean `hideMounts`\?/);
  });

  test('the same mistakes in TOML and JSON are found too', () => {
    const toml = `[persistence."/persist"]
hideMount = true
directories = [
  "var/log",
  { directory = "/var/lib/colord", mode = "0800" },
]
`;
    assert.deepEqual(
      errors(toml, 'toml').map((e) => [e.code, e.line, e.column]),
      [
        ['unknown-key', 2, 1],
        ['relative-path', 4, 3],
        ['invalid-mode', 5, 43],
      ],
    );
    const json = `{"persistence": {"/persist": {
  "hideMount": true,
  "directories": ["var/log", {"directory": "/var/lib/colord", "mode": "0800"}]
}}}
`;
    assert.deepEqual(
      errors(json, 'json').map((e) => [e.code, e.line, e.column]),
      [
        ['unknown-key', 2, 3],
        ['relative-path', 3, 19],
        ['invalid-mode', 3, 71],
      ],
    );
  });

  test('warnings come along with errors', () => {
    const { file, root } = setup(
      loc('    directories: [/var/lib/private, /var/lib/private/x, relative]\n'),
    );
    assert.throws(
      () => loadConfig(file, { root }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message === 'configuration has 1 error' &&
        e.diagnostics.some((d) => d.severity === 'warning' && d.code === 'nested-same-store'),
    );
  });
});

describe('formatDiagnostic', () => {
  test('file, line, column, severity, message and hint', () => {
    const d: Diagnostic = {
      severity: 'error',
      code: 'unknown-key',
      message:
        'persistence."/persist".hidemounts: unknown option "hidemounts"; did you mean `hideMounts`?',
      hint: 'rename it to `hideMounts`',
      source: {
        file: 'keepsake.yaml',
        line: 3,
        column: 5,
        option: 'persistence."/persist".hidemounts',
      },
    };
    assert.equal(
      formatDiagnostic(d),
      'keepsake.yaml:3:5: error: persistence."/persist".hidemounts: unknown option "hidemounts"; did you mean `hideMounts`?\n  hint: rename it to `hideMounts`',
    );
  });

  test('a warning without a hint', () => {
    assert.equal(
      formatDiagnostic({
        severity: 'warning',
        code: 'x',
        message: 'm',
        source: { file: 'k.toml', line: 1, column: 2, option: '' },
      }),
      'k.toml:1:2: warning: m',
    );
  });
});
