// Adding an entry to a configuration file in place: the new path lands in the right list, in
// the file's own style, and nothing else in the file changes.

import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify as toToml } from 'smol-toml';
import { stringify as toYaml } from 'yaml';
import {
  type AddRequest,
  addEntryToConfigFile,
  addEntryToConfigText,
} from '../../src/config/edit.js';
import { joinPath, loadConfigText, normaliseAbsolute, parseText } from '../../src/config/index.js';
import { normaliseRelative } from '../../src/config/paths.js';
import { loadRealworld, writeAccounts } from '../helpers/realworld.js';

type Format = 'yaml' | 'toml' | 'json';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-edit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'root');
writeAccounts(root, ['jane', 'bob', 'colord'], ['colord']);

/** Whether `small` is `big` with characters inserted (nothing removed or changed). */
function insertedOnly(small: string, big: string): boolean {
  let i = 0;
  for (const c of big) if (i < small.length && c === small[i]) i++;
  return i === small.length;
}

/** Whether an edit may replace a `~`, `null` or (YAML block) `{}` placeholder, not only insert. */
const replacesPlaceholder = (text: string, format: Format) =>
  /~|null/.test(text) || (format === 'yaml' && text.includes('{}'));

/** The result parses, loads, and its model holds the new entry where the request put it. */
function assertAdded(text: string, format: Format, req: AddRequest): void {
  const file = `/etc/keepsake/config.${format}`;
  parseText(text, file, format);
  const model = loadConfigText(text, file, { root, format });
  const n = req.user === undefined ? normaliseAbsolute(req.path) : normaliseRelative(req.path);
  assert.ok(n.ok);
  const target = req.user === undefined ? n.path : joinPath('/home', req.user, n.path);
  const entry = model.entries.find((e) => e.target === target);
  assert.ok(entry, `no entry for ${target} in\n${text}`);
  assert.equal(entry.kind, req.kind);
  assert.equal(entry.store, joinPath(req.location, target));
}

/** Add, compare with what is expected, check the result, and check that adding again is a no-op. */
function check(
  before: string,
  format: Format,
  req: AddRequest,
  expected: string,
  options: { load?: boolean } = {},
): void {
  const out = addEntryToConfigText(before, format, req);
  assert.equal(out, expected);
  if (!replacesPlaceholder(before, format)) assert.ok(insertedOnly(before, out), 'only insertions');
  if (options.load !== false) assertAdded(out, format, req);
  else parseText(out, `config.${format}`, format);
  assert.equal(addEntryToConfigText(out, format, req), out, 'adding it again changes nothing');
}

const dir = (path: string, location = '/persist', user?: string): AddRequest =>
  user === undefined
    ? { kind: 'directory', location, path }
    : { kind: 'directory', location, path, user };
const file = (path: string, location = '/persist', user?: string): AddRequest =>
  user === undefined ? { kind: 'file', location, path } : { kind: 'file', location, path, user };

const YAML = `# keepsake configuration
persistence:   # what survives
  /persist:
    hideMounts: true
    directories:
      - /var/log   # logs
      - directory: /var/lib/colord
        user: colord
        mode: "0700"
      # - /var/lib/old

    files: [ /etc/machine-id, "/etc/ssh/ssh_host_ed25519_key" ]
    users:
      jane:
        directories: [Downloads]   # big
# the end
`;

describe('YAML', () => {
  test('a block list gets a `- item` line after its last item, before the comments after it', () => {
    check(
      YAML,
      'yaml',
      dir('/var/lib/foo'),
      YAML.replace('        mode: "0700"\n', '        mode: "0700"\n      - /var/lib/foo\n'),
    );
  });

  test('a flow list gets the item inside its brackets', () => {
    check(
      YAML,
      'yaml',
      file('/etc/adjtime'),
      YAML.replace('_ed25519_key" ]', '_ed25519_key", /etc/adjtime ]'),
    );
    check(
      YAML,
      'yaml',
      dir('.ssh', '/persist', 'jane'),
      YAML.replace('[Downloads]   # big', '[Downloads, .ssh]   # big'),
    );
  });

  test('a multi-line flow list with comments keeps one item per line', () => {
    const before = `persistence:
  /persist:
    directories: [
      /var/log,  # logs
      /srv       # data
    ]
`;
    check(
      before,
      'yaml',
      dir('/var/lib/foo'),
      `persistence:
  /persist:
    directories: [
      /var/log,  # logs
      /srv,       # data
      /var/lib/foo
    ]
`,
    );
    const trailing = `persistence:
  /persist:
    directories: [
      /var/log,
      # /old,
    ]
`;
    check(
      trailing,
      'yaml',
      dir('/srv'),
      `persistence:
  /persist:
    directories: [
      /var/log,
      /srv,
      # /old,
    ]
`,
    );
  });

  test('a missing list is created before `users`, in the style of its sibling lists', () => {
    const before = `persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/log
    # per user
    users:
      jane:
        directories: [Downloads]
`;
    check(
      before,
      'yaml',
      file('/etc/machine-id'),
      before.replace(
        '      - /var/log\n',
        '      - /var/log\n    files:\n      - /etc/machine-id\n',
      ),
    );
    check(
      before,
      'yaml',
      file('.bash_history', '/persist', 'jane'),
      `${before}        files: [.bash_history]\n`,
    );
  });

  test('a missing location is added next to the others, quoted as they are', () => {
    const before = `persistence:
  "/persist":
    directories:
    - "/var/log"
users:
  jane: {}
`;
    check(
      before,
      'yaml',
      dir('/srv', '/data'),
      before.replace(
        '    - "/var/log"\n',
        '    - "/var/log"\n  "/data":\n    directories:\n    - "/srv"\n',
      ),
    );
  });

  test('the users block of a location is created, and a new user added to it', () => {
    const before = `persistence:
    /persist:
        directories:
            - /var/log
users:
    jane:
        home: /home/jane
`;
    const withJane = before.replace(
      '            - /var/log\n',
      '            - /var/log\n        users:\n            jane:\n                directories:\n                    - .ssh\n',
    );
    check(before, 'yaml', dir('.ssh', '/persist', 'jane'), withJane);
    check(
      withJane,
      'yaml',
      file('.bash_history', '/persist', 'bob'),
      withJane.replace(
        '                    - .ssh\n',
        '                    - .ssh\n            bob:\n                files:\n                    - .bash_history\n',
      ),
    );
  });

  test('a missing `persistence` is appended; an empty or comment-only file gets one', () => {
    check(
      'users:\n  jane:\n    home: /home/jane\n',
      'yaml',
      dir('/var/log'),
      'users:\n  jane:\n    home: /home/jane\npersistence:\n  /persist:\n    directories:\n      - /var/log\n',
    );
    const fresh = 'persistence:\n  /persist:\n    directories:\n      - /var/log\n';
    check('', 'yaml', dir('/var/log'), fresh);
    check('# nothing yet\n', 'yaml', dir('/var/log'), `# nothing yet\n${fresh}`);
    check('# nothing yet', 'yaml', dir('/var/log'), `# nothing yet\n${fresh}`);
  });

  test('keys without a value get one', () => {
    check(
      'persistence:\n  /persist:\n    directories:   # none yet\n    files: [/etc/machine-id]\n',
      'yaml',
      dir('/var/log'),
      'persistence:\n  /persist:\n    directories:   # none yet\n      - /var/log\n    files: [/etc/machine-id]\n',
    );
    check(
      'persistence:\n  /persist: ~  # later\n',
      'yaml',
      dir('/var/log'),
      'persistence:\n  /persist:  # later\n    directories:\n      - /var/log\n',
    );
    check(
      'persistence:\n',
      'yaml',
      file('/etc/machine-id'),
      'persistence:\n  /persist:\n    files:\n      - /etc/machine-id\n',
    );
  });

  test('an empty `{}` in a block map becomes a block map', () => {
    check(
      'persistence:\n  /persist: {}   # to do\n',
      'yaml',
      dir('/srv'),
      'persistence:\n  /persist:   # to do\n    directories:\n      - /srv\n',
    );
    check(
      'persistence:\n  /persist:\n    directories: [/var/log]\n    users: {}\n',
      'yaml',
      file('.bash_history', '/persist', 'jane'),
      'persistence:\n  /persist:\n    directories: [/var/log]\n    users:\n      jane:\n        files:\n          - .bash_history\n',
    );
    // With an anchor it is left alone, and extended in flow style.
    check(
      'persistence:\n  /persist: &p {}\n',
      'yaml',
      dir('/srv'),
      'persistence:\n  /persist: &p { directories: [/srv] }\n',
    );
  });

  test('flow maps are extended in flow style', () => {
    check(
      'persistence: { /persist: { directories: [/var/log] } }\n',
      'yaml',
      file('/etc/machine-id'),
      'persistence: { /persist: { directories: [/var/log], files: [/etc/machine-id] } }\n',
    );
    check(
      'persistence: { /persist: { directories: [/var/log] } }\n',
      'yaml',
      dir('/srv', '/data'),
      'persistence: { /persist: { directories: [/var/log] }, /data: { directories: [/srv] } }\n',
    );
    check(
      'persistence:\n  /persist: { hideMounts: true }\n',
      'yaml',
      dir('/srv'),
      'persistence:\n  /persist: { hideMounts: true, directories: [/srv] }\n',
    );
    check(
      'persistence:\n  /persist:\n    directories: []\n',
      'yaml',
      dir('/srv'),
      'persistence:\n  /persist:\n    directories: [/srv]\n',
    );
  });

  test('strings are quoted when they need it, and spaces in names are kept', () => {
    const before =
      'persistence:\n  /persist:\n    users:\n      jane:\n        directories:\n          - .ssh\n        files: [.bashrc]\n';
    const cases: Array<[string, string]> = [
      ['VirtualBox VMs', 'VirtualBox VMs'],
      ['notes: 2024', '"notes: 2024"'],
      ['@home', '"@home"'],
      ['*star', '"*star"'],
      ['&anchor', '"&anchor"'],
      ['!bang', '"!bang"'],
      ['%pct', '"%pct"'],
      ['#hash', '"#hash"'],
      ['a #b', '"a #b"'],
      ['yes', '"yes"'],
      ['1234', '"1234"'],
      ['"quoted"', '"\\"quoted\\""'],
    ];
    for (const [path, written] of cases) {
      check(
        before,
        'yaml',
        dir(path, '/persist', 'jane'),
        before.replace('          - .ssh\n', `          - .ssh\n          - ${written}\n`),
      );
    }
    // In a flow list, `,` and brackets need quotes too.
    check(
      before,
      'yaml',
      file('a,b', '/persist', 'jane'),
      before.replace('[.bashrc]', '[.bashrc, "a,b"]'),
    );
    check(
      before,
      'yaml',
      file('[x]', '/persist', 'jane'),
      before.replace('[.bashrc]', '[.bashrc, "[x]"]'),
    );
    check(
      before,
      'yaml',
      file('VirtualBox VMs/x', '/persist', 'jane'),
      before.replace('[.bashrc]', '[.bashrc, VirtualBox VMs/x]'),
    );
  });

  test('a list written in quotes gets a quoted item', () => {
    check(
      "persistence:\n  /persist:\n    directories:\n      - '/var/log'\n",
      'yaml',
      dir('/srv'),
      "persistence:\n  /persist:\n    directories:\n      - '/var/log'\n      - '/srv'\n",
    );
    check(
      'persistence:\n  /persist:\n    directories: ["/var/log"]\n',
      'yaml',
      dir('/srv'),
      'persistence:\n  /persist:\n    directories: ["/var/log", "/srv"]\n',
    );
  });

  test('lists at the indentation of their key, and CRLF line endings, are kept', () => {
    check(
      'persistence:\n  /persist:\n    directories:\n    - /var/log\n    files:\n    - /etc/machine-id\n',
      'yaml',
      dir('/srv'),
      'persistence:\n  /persist:\n    directories:\n    - /var/log\n    - /srv\n    files:\n    - /etc/machine-id\n',
    );
    check(
      'persistence:\r\n  /persist:\r\n    directories:\r\n      - /var/log\r\n',
      'yaml',
      file('/etc/machine-id'),
      'persistence:\r\n  /persist:\r\n    directories:\r\n      - /var/log\r\n    files:\r\n      - /etc/machine-id\r\n',
    );
  });

  test('an entry already listed leaves the text unchanged', () => {
    for (const req of [
      dir('/var/log'),
      dir('/var/log/'),
      dir('/var/lib/colord'),
      file('/etc/machine-id'),
      dir('Downloads', '/persist', 'jane'),
      dir('./Downloads', '/persist', 'jane'),
    ]) {
      assert.equal(addEntryToConfigText(YAML, 'yaml', req), YAML, JSON.stringify(req));
    }
  });

  test('a location written with a trailing slash is the same location', () => {
    check(
      'persistence:\n  /persist/:\n    directories: [/var/log]\n',
      'yaml',
      dir('/srv'),
      'persistence:\n  /persist/:\n    directories: [/var/log, /srv]\n',
      { load: false },
    );
  });

  test('a document marker and a byte order mark are kept', () => {
    check(
      '---\npersistence:\n  /persist:\n    directories: [/var/log]\n',
      'yaml',
      dir('/srv'),
      '---\npersistence:\n  /persist:\n    directories: [/var/log, /srv]\n',
    );
    const out = addEntryToConfigText(
      '\uFEFFpersistence:\n  /persist:\n    files: []\n',
      'yaml',
      file('/x'),
    );
    assert.equal(out, '\uFEFFpersistence:\n  /persist:\n    files: [/x]\n');
  });

  test('shapes that cannot be edited safely are refused with a clear error', () => {
    const cases: Array<[string, RegExp]> = [
      ['persistence: [/persist]\n', /persistence: it is a list, not a map/],
      [
        'persistence:\n  /persist:\n    directories: /var/log\n',
        /directories: it is the string "\/var\/log", not a list/,
      ],
      ['persistence:\n  /persist: true\n', /"\/persist": it is the boolean true, not a map/],
      ['- a\n', /top level is a list, not a map/],
      ['persistence:\n  /persist:\n    files: &f [/a]\n    directories: *f\n', /alias/],
      ['persistence: {\n', /does not parse/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => addEntryToConfigText(text, 'yaml', dir('/var/log')), message, text);
    }
    assert.throws(() => addEntryToConfigText('', 'yaml', dir('var/log')), /relative path/);
    assert.throws(
      () => addEntryToConfigText('', 'yaml', dir('/home/jane/.ssh', '/persist', 'jane')),
      /absolute path/,
    );
    assert.throws(() => addEntryToConfigText('', 'yaml', dir('/var/log', '')), /location is empty/);
    assert.throws(
      () => addEntryToConfigText('', 'yaml', dir('x', '/persist', 'ja ne')),
      /"ja ne" is not a user name/,
    );
  });
});

const TOML = `# keepsake configuration
[persistence."/persist"]
hideMounts = true
directories = ["/var/log", { directory = "/var/lib/colord", user = "colord", mode = "0700" }]
files = [
  "/etc/machine-id", # the id
  # "/etc/old",
]

# per user
[persistence."/persist".users.jane]
directories = [".ssh"]  # keys

[users.jane]
home = "/home/jane"
`;

describe('TOML', () => {
  test('an array on one line gets the item at its end', () => {
    check(TOML, 'toml', dir('/srv'), TOML.replace('mode = "0700" }]', 'mode = "0700" }, "/srv"]'));
    check(
      TOML,
      'toml',
      dir('.cache', '/persist', 'jane'),
      TOML.replace('[".ssh"]', '[".ssh", ".cache"]'),
    );
  });

  test('a multi-line array with comments gets a line of its own', () => {
    check(
      TOML,
      'toml',
      file('/etc/adjtime'),
      TOML.replace('# the id\n', '# the id\n  "/etc/adjtime",\n'),
    );
    const noComma = '[persistence."/persist"]\ndirectories = [\n  "/var/log"  # logs\n]\n';
    check(
      noComma,
      'toml',
      dir('/srv'),
      '[persistence."/persist"]\ndirectories = [\n  "/var/log",  # logs\n  "/srv"\n]\n',
    );
    check(
      '[persistence."/persist"]\ndirectories = [ # none yet\n]\n',
      'toml',
      dir('/srv'),
      '[persistence."/persist"]\ndirectories = [ # none yet\n  "/srv"\n]\n',
    );
  });

  test('a missing key is added to its table', () => {
    check(
      TOML,
      'toml',
      file('.bash_history', '/persist', 'jane'),
      TOML.replace('  # keys\n', '  # keys\nfiles = [".bash_history"]\n'),
    );
    check(
      '[persistence."/persist"]\n  hideMounts = true\n\n  # more later\n\n[users.jane]\n',
      'toml',
      dir('/srv'),
      '[persistence."/persist"]\n  hideMounts = true\n  directories = ["/srv"]\n\n  # more later\n\n[users.jane]\n',
    );
  });

  test('missing tables are created after the related ones, before the comments of the next', () => {
    check(
      TOML,
      'toml',
      file('.bash_history', '/persist', 'bob'),
      TOML.replace(
        '  # keys\n',
        '  # keys\n\n[persistence."/persist".users.bob]\nfiles = [".bash_history"]\n',
      ),
    );
    check(
      TOML,
      'toml',
      dir('/srv', '/data'),
      TOML.replace('  # keys\n', '  # keys\n\n[persistence."/data"]\ndirectories = ["/srv"]\n'),
    );
    const before =
      '[persistence."/persist"]\ndirectories = ["/var/log"]\n# per user\n[users.jane]\nhome = "/home/jane"\n';
    check(
      before,
      'toml',
      dir('.ssh', '/persist', 'jane'),
      before.replace(
        '"/var/log"]\n',
        '"/var/log"]\n\n[persistence."/persist".users.jane]\ndirectories = [".ssh"]\n',
      ),
    );
    // Only a sub-table exists: the location's own table is defined after it.
    check(
      '[persistence."/persist".users.jane]\ndirectories = [".ssh"]\n',
      'toml',
      dir('/srv'),
      '[persistence."/persist".users.jane]\ndirectories = [".ssh"]\n\n[persistence."/persist"]\ndirectories = ["/srv"]\n',
    );
  });

  test('an empty file, or one without persistence, gets a new table at its end', () => {
    const fresh = '[persistence."/persist"]\ndirectories = ["/var/log"]\n';
    check('', 'toml', dir('/var/log'), fresh);
    check('# nothing yet\n', 'toml', dir('/var/log'), `# nothing yet\n\n${fresh}`);
    check(
      '[users.jane]\nhome = "/home/jane"',
      'toml',
      dir('/var/log'),
      `[users.jane]\nhome = "/home/jane"\n\n${fresh}`,
    );
    check('[persistence]\n', 'toml', dir('/var/log'), `[persistence]\n\n${fresh}`);
  });

  test('dotted keys are extended with dotted keys', () => {
    check(
      'persistence."/persist".directories = ["/var/log"]\n',
      'toml',
      file('/etc/machine-id'),
      'persistence."/persist".directories = ["/var/log"]\npersistence."/persist".files = ["/etc/machine-id"]\n',
    );
    check(
      'persistence."/persist".directories = ["/var/log"]\n',
      'toml',
      file('/x', '/data'),
      'persistence."/persist".directories = ["/var/log"]\npersistence."/data".files = ["/x"]\n',
    );
    check(
      '[persistence]\n"/persist".hideMounts = true # hide\n\n[users.jane]\n',
      'toml',
      dir('.ssh', '/persist', 'jane'),
      '[persistence]\n"/persist".hideMounts = true # hide\n"/persist".users.jane.directories = [".ssh"]\n\n[users.jane]\n',
    );
  });

  test('inline tables are extended inside their braces', () => {
    check(
      '[persistence]\n"/persist" = { directories = ["/var/log"] }\n',
      'toml',
      file('/x'),
      '[persistence]\n"/persist" = { directories = ["/var/log"], files = ["/x"] }\n',
    );
    check(
      'persistence = { "/persist" = { hideMounts = true } }\n',
      'toml',
      dir('.ssh', '/persist', 'jane'),
      'persistence = { "/persist" = { hideMounts = true, users = { jane = { directories = [".ssh"] } } } }\n',
    );
    check(
      '[persistence]\n"/persist" = {}\n',
      'toml',
      dir('/srv'),
      '[persistence]\n"/persist" = { directories = ["/srv"] }\n',
    );
  });

  test('an array of tables gets another table', () => {
    const before = `[[persistence."/persist".directories]]
directory = "/var/lib/colord"
user = "colord"
[persistence."/persist".directories.parentDirectory]
mode = "0700"

# users
[users.jane]
home = "/home/jane"
`;
    check(
      before,
      'toml',
      dir('/srv'),
      before.replace(
        'mode = "0700"\n',
        'mode = "0700"\n\n[[persistence."/persist".directories]]\ndirectory = "/srv"\n',
      ),
    );
    assert.equal(addEntryToConfigText(before, 'toml', dir('/var/lib/colord/')), before);
  });

  test('literal strings, keys that need quotes, CRLF and trailing commas are respected', () => {
    check(
      "[persistence.'/persist']\ndirectories = ['/var/log',]\n",
      'toml',
      dir('/srv'),
      "[persistence.'/persist']\ndirectories = ['/var/log', '/srv',]\n",
    );
    check(
      '[persistence."/persist"]\r\ndirectories = [\r\n  "/var/log",\r\n]\r\n',
      'toml',
      dir('/srv'),
      '[persistence."/persist"]\r\ndirectories = [\r\n  "/var/log",\r\n  "/srv",\r\n]\r\n',
    );
    check(
      '[persistence."/persist"]\ndirectories = ["/var/log"]\n',
      'toml',
      dir('x', '/persist', 'jane.doe'),
      '[persistence."/persist"]\ndirectories = ["/var/log"]\n\n[persistence."/persist".users."jane.doe"]\ndirectories = ["x"]\n',
      { load: false },
    );
    check(
      '[persistence."/persist"]\ndirectories = ["/var/log"]\n',
      'toml',
      dir('/srv/a "quoted" name'),
      '[persistence."/persist"]\ndirectories = ["/var/log", "/srv/a \\"quoted\\" name"]\n',
    );
  });

  test('an entry already listed leaves the text unchanged', () => {
    for (const req of [
      dir('/var/log'),
      dir('/var/lib/colord'),
      file('/etc/machine-id'),
      dir('.ssh/', '/persist', 'jane'),
    ]) {
      assert.equal(addEntryToConfigText(TOML, 'toml', req), TOML, JSON.stringify(req));
    }
  });

  test('shapes that cannot be edited safely are refused with a clear error', () => {
    assert.throws(
      () => addEntryToConfigText('persistence = ["/persist"]\n', 'toml', dir('/x')),
      /persistence: it is a list, not a map/,
    );
    assert.throws(
      () => addEntryToConfigText('[persistence."/persist"]\nfiles = "/x"\n', 'toml', file('/y')),
      /files: it is the string "\/x", not a list/,
    );
    assert.throws(
      () => addEntryToConfigText('[[persistence]]\n', 'toml', file('/y')),
      /persistence: it is a list, not a map/,
    );
    assert.throws(
      () => addEntryToConfigText('[persistence\n', 'toml', file('/y')),
      /does not parse/,
    );
  });
});

const JSON_TEXT = `{
  "persistence": {
    "/persist": {
      "hideMounts": true,
      "directories": [
        "/var/log",
        { "directory": "/var/lib/colord", "mode": "0700" }
      ],
      "users": {}
    }
  }
}
`;

describe('JSON', () => {
  test('an array gets the item on a line of its own', () => {
    check(
      JSON_TEXT,
      'json',
      dir('/srv'),
      JSON_TEXT.replace('"mode": "0700" }\n', '"mode": "0700" },\n        "/srv"\n'),
    );
  });

  test("missing keys are added in the file's indentation", () => {
    check(
      JSON_TEXT,
      'json',
      file('/etc/machine-id'),
      JSON_TEXT.replace(
        '      ],\n',
        '      ],\n      "files": [\n        "/etc/machine-id"\n      ],\n',
      ),
    );
    check(
      JSON_TEXT,
      'json',
      dir('.ssh', '/persist', 'jane'),
      JSON_TEXT.replace(
        '"users": {}',
        '"users": {\n        "jane": {\n          "directories": [\n            ".ssh"\n          ]\n        }\n      }',
      ),
    );
    check(
      JSON_TEXT,
      'json',
      dir('/srv', '/data'),
      JSON_TEXT.replace(
        '      "users": {}\n    }\n',
        '      "users": {}\n    },\n    "/data": {\n      "directories": [\n        "/srv"\n      ]\n    }\n',
      ),
    );
    check(
      '{\n\t"users": {}\n}\n',
      'json',
      dir('/srv'),
      '{\n\t"users": {},\n\t"persistence": {\n\t\t"/persist": {\n\t\t\t"directories": [\n\t\t\t\t"/srv"\n\t\t\t]\n\t\t}\n\t}\n}\n',
    );
  });

  test('one-line JSON stays on one line', () => {
    check(
      '{"persistence":{"/persist":{"directories":["/var/log"]}}}',
      'json',
      dir('/srv'),
      '{"persistence":{"/persist":{"directories":["/var/log","/srv"]}}}',
    );
    check(
      '{ "persistence": { "/persist": { "directories": ["/var/log"] } } }',
      'json',
      file('/x'),
      '{ "persistence": { "/persist": { "directories": ["/var/log"], "files": ["/x"] } } }',
    );
    check('{}', 'json', file('/x'), '{ "persistence": { "/persist": { "files": ["/x"] } } }');
  });

  test('null becomes a list; an empty file a whole configuration', () => {
    check(
      '{\n  "persistence": {\n    "/persist": {\n      "directories": null\n    }\n  }\n}\n',
      'json',
      dir('/srv'),
      '{\n  "persistence": {\n    "/persist": {\n      "directories": [\n        "/srv"\n      ]\n    }\n  }\n}\n',
    );
    check(
      '',
      'json',
      dir('/srv'),
      '{\n  "persistence": {\n    "/persist": {\n      "directories": [\n        "/srv"\n      ]\n    }\n  }\n}\n',
    );
  });

  test('an entry already listed leaves the text unchanged; bad JSON is refused', () => {
    assert.equal(addEntryToConfigText(JSON_TEXT, 'json', dir('/var/lib/colord')), JSON_TEXT);
    assert.equal(addEntryToConfigText(JSON_TEXT, 'json', dir('/var/log')), JSON_TEXT);
    assert.throws(
      () => addEntryToConfigText('{ "persistence": {}, }', 'json', dir('/x')),
      /does not parse: trailing comma/,
    );
    assert.throws(
      () => addEntryToConfigText('{ "persistence": 3 }', 'json', dir('/x')),
      /persistence: it is the number 3, not a map/,
    );
  });
});

describe('addEntryToConfigFile', () => {
  test('writes the edited text atomically, keeping the mode', () => {
    const d = mkdtempSync(join(tmp, 'file-'));
    const f = join(d, 'config.yaml');
    writeFileSync(f, 'persistence:\n  /persist:\n    directories: [/var/log]  # system\n');
    chmodSync(f, 0o640);
    const before = statSync(f);
    const r = addEntryToConfigFile(f, dir('/srv'));
    assert.equal(r.before, 'persistence:\n  /persist:\n    directories: [/var/log]  # system\n');
    assert.equal(
      r.after,
      'persistence:\n  /persist:\n    directories: [/var/log, /srv]  # system\n',
    );
    assert.equal(readFileSync(f, 'utf8'), r.after);
    const st = statSync(f);
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(st.uid, before.uid);
    assert.equal(st.gid, before.gid);
    assert.notEqual(st.ino, before.ino, 'replaced by rename');
    assert.deepEqual(readdirSync(d), ['config.yaml'], 'no temporary file left');
  });

  test('an unchanged file is not rewritten', () => {
    const d = mkdtempSync(join(tmp, 'file-'));
    const f = join(d, 'config.toml');
    writeFileSync(f, '[persistence."/persist"]\ndirectories = ["/var/log"]\n');
    const before = statSync(f);
    const r = addEntryToConfigFile(f, dir('/var/log/'));
    assert.equal(r.after, r.before);
    assert.equal(statSync(f).ino, before.ino);
  });

  test('a symbolic link is followed and kept', () => {
    const d = mkdtempSync(join(tmp, 'file-'));
    const real = join(d, 'real.json');
    const link = join(d, 'config.json');
    writeFileSync(real, '{\n  "persistence": {}\n}\n');
    symlinkSync('real.json', link);
    const r = addEntryToConfigFile(link, file('/etc/machine-id'));
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(real, 'utf8'), r.after);
    assert.equal(
      r.after,
      '{\n  "persistence": {\n    "/persist": {\n      "files": [\n        "/etc/machine-id"\n      ]\n    }\n  }\n}\n',
    );
    assertAdded(r.after, 'json', file('/etc/machine-id'));
  });

  test('errors name the file', () => {
    const d = mkdtempSync(join(tmp, 'file-'));
    const f = join(d, 'config.yaml');
    writeFileSync(f, 'persistence: [a]\n');
    assert.throws(
      () => addEntryToConfigFile(f, dir('/x')),
      (e: Error) => e.message.startsWith(`${f}: `),
    );
    assert.equal(readFileSync(f, 'utf8'), 'persistence: [a]\n');
    assert.throws(() => addEntryToConfigFile(join(d, 'config.ini'), dir('/x')), /format/);
    assert.throws(
      () => addEntryToConfigFile(join(d, 'missing.yaml'), dir('/x')),
      /missing\.yaml: cannot read the configuration file: .*ENOENT/,
    );
  });

  test('the owner is kept when another user owns the file (as root)', () => {
    const d = mkdtempSync(join(tmp, 'file-'));
    const f = join(d, 'config.yaml');
    writeFileSync(f, 'persistence: {}\n');
    chmodSync(f, 0o604);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(f, 4321, 4322);
    const before = statSync(f);
    addEntryToConfigFile(f, dir('/srv'));
    const st = statSync(f);
    assert.equal(
      readFileSync(f, 'utf8'),
      'persistence:\n  /persist:\n    directories:\n      - /srv\n',
    );
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [before.uid, before.gid, 0o604]);
    if (asRoot) assert.deepEqual([st.uid, st.gid], [4321, 4322]);
  });
});

describe('real-world configurations', () => {
  const serialise = (config: object, format: Format) =>
    format === 'json'
      ? `${JSON.stringify(config, null, 2)}\n`
      : format === 'toml'
        ? toToml(config)
        : toYaml(config);

  for (const c of loadRealworld()) {
    test(c.name, () => {
      const caseRoot = join(tmp, 'realworld', c.name);
      writeAccounts(caseRoot, c.users, c.groups);
      const requests: AddRequest[] = [];
      const persistence = (c.config.persistence ?? {}) as Record<string, { users?: object }>;
      // Targets must be unique across locations: each location gets its own.
      Object.entries(persistence).forEach(([location, loc], i) => {
        requests.push(dir(`/keepsake-added/${i}/dir`, location));
        requests.push(file(`/keepsake-added/${i}/file`, location));
        for (const user of Object.keys(loc.users ?? {})) {
          requests.push(dir(`.keepsake-added/${i}`, location, user));
          requests.push(file(`.keepsake-added-${i}`, location, user));
        }
      });
      requests.push(dir('/keepsake-added/elsewhere', '/keepsake-new-store'));
      for (const format of ['yaml', 'toml', 'json'] as const) {
        const original = serialise(c.config, format);
        const name = `/etc/keepsake/config.${format}`;
        const count = loadConfigText(original, name, { root: caseRoot, format }).entries.length;
        let text = original;
        for (const req of requests) {
          const next = addEntryToConfigText(text, format, req);
          assert.notEqual(next, text, `${format}: ${JSON.stringify(req)}`);
          if (!replacesPlaceholder(text, format)) {
            assert.ok(insertedOnly(text, next), `${format}: only insertions`);
          }
          text = next;
        }
        const model = loadConfigText(text, name, { root: caseRoot, format });
        assert.equal(model.entries.length, count + requests.length, format);
        for (const req of requests) {
          assert.equal(addEntryToConfigText(text, format, req), text, `${format}: again`);
        }
      }
    });
  }
});
