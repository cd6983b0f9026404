// Adding to a user's own storage directory (Home Manager's classic layout,
// `users.<user>.persistence.<dir>`): the home-relative entry lands in that block's lists, stored
// at `<dir>/<entry>`, and no system location is created for it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { prepareIgnore } from '../../src/apply/ignore.js';
import { type AddRequest, addEntryToConfigText, classicOwners } from '../../src/config/edit.js';
import { loadConfigText } from '../../src/config/index.js';
import { writeAccounts } from '../helpers/realworld.js';

type Format = 'yaml' | 'toml' | 'json';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-edit-classic-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'root');
writeAccounts(root, ['jane', 'bob'], []);

const DIR = '/nix/persist/home/jane';
const req = (kind: 'directory' | 'file', path: string, location = DIR): AddRequest => ({
  kind,
  location,
  path,
  user: 'jane',
  classic: true,
});

/** The edit loads, holds the entry in the classic layout, and created no system location. */
function assertClassic(text: string, format: Format, kind: string, entry: string): void {
  const model = loadConfigText(text, `/etc/keepsake/config.${format}`, { root, format });
  const e = model.entries.find((x) => x.target === `/home/jane/${entry}`);
  assert.ok(e, `no entry for /home/jane/${entry} in\n${text}`);
  assert.equal(e.kind, kind);
  assert.equal(e.store, `${DIR}/${entry}`);
  assert.deepEqual(model.stores.sort(), ['/persist', DIR].sort());
  assert.equal(addEntryToConfigText(text, format, req('directory', entry)), text, 'no-op again');
}

const YAML = `# the machine
persistence:
  /persist:
    directories: [/var/log]
users:
  jane:
    persistence:
      /nix/persist/home/jane:   # jane's own
        directories:
          - .ssh   # keys
        files: [.screenrc]
`;

describe('adding to a classic storage directory', () => {
  test('YAML: the entry is appended to the block, comments kept', () => {
    const out = addEntryToConfigText(YAML, 'yaml', req('directory', '.mozilla'));
    assert.equal(
      out,
      YAML.replace(
        '          - .ssh   # keys\n',
        '          - .ssh   # keys\n          - .mozilla\n',
      ),
    );
    assertClassic(out, 'yaml', 'directory', '.mozilla');
    const f = addEntryToConfigText(YAML, 'yaml', req('file', '.bash_history'));
    assert.equal(f, YAML.replace('files: [.screenrc]', 'files: [.screenrc, .bash_history]'));
  });

  test('YAML: a key written with a trailing slash is the same directory; a missing list is created', () => {
    const text = `users:\n  jane:\n    persistence:\n      "/nix/persist/home/jane/":\n        files: [.screenrc]\npersistence:\n  /persist: {directories: [/var/log]}\n`;
    const out = addEntryToConfigText(text, 'yaml', req('directory', '.mozilla'));
    assert.doesNotMatch(out, /home\/jane"?:\n/);
    assert.match(
      out,
      /"\/nix\/persist\/home\/jane\/":\n {8}files: \[\.screenrc\]\n {8}directories: \[\.mozilla\]\n/,
    );
    const model = loadConfigText(out, '/etc/keepsake/config.yaml', { root, format: 'yaml' });
    assert.equal(
      model.entries.find((x) => x.target === '/home/jane/.mozilla')?.store,
      `${DIR}/.mozilla`,
    );
  });

  test('TOML: the entry is appended to the table array', () => {
    const text = `# the machine
[persistence."/persist"]
directories = ["/var/log"]

[users.jane.persistence."/nix/persist/home/jane"]
directories = [".ssh"] # keys
files = [".screenrc"]
`;
    const out = addEntryToConfigText(text, 'toml', req('directory', '.mozilla'));
    assert.equal(out, text.replace('[".ssh"]', '[".ssh", ".mozilla"]'));
    assertClassic(out, 'toml', 'directory', '.mozilla');
  });

  test('JSON: the entry is appended to the array', () => {
    const text = `{
  "persistence": { "/persist": { "directories": ["/var/log"] } },
  "users": {
    "jane": {
      "persistence": {
        "/nix/persist/home/jane": {
          "directories": [
            ".ssh"
          ]
        }
      }
    }
  }
}
`;
    const out = addEntryToConfigText(text, 'json', req('directory', '.mozilla'));
    assert.match(out, /"\.ssh",\n {12}"\.mozilla"\n/);
    assertClassic(out, 'json', 'directory', '.mozilla');
  });

  test('the owners of a storage directory are found by its key, trailing slash or not', () => {
    assert.deepEqual(classicOwners(YAML, 'yaml', DIR), ['jane']);
    assert.deepEqual(classicOwners(YAML, 'yaml', `${DIR}/`), ['jane']);
    assert.deepEqual(classicOwners(YAML, 'yaml', '/persist'), []);
  });

  test('a classic request must name the user whose block it is', () => {
    assert.throws(
      () => addEntryToConfigText(YAML, 'yaml', { ...req('directory', '.mozilla'), user: 'bob' }),
      /not bob's.*jane/s,
    );
  });

  test('a block with removePrefixDirectory, or a request without its user, is refused', () => {
    const prefixed = YAML.replace(
      'files: [.screenrc]',
      'files: [.screenrc]\n        removePrefixDirectory: true',
    );
    assert.throws(
      () => addEntryToConfigText(prefixed, 'yaml', req('directory', '.mozilla')),
      /removePrefixDirectory/,
    );
    assert.throws(
      () =>
        addEntryToConfigText(YAML, 'yaml', {
          kind: 'directory',
          location: DIR,
          path: '.mozilla',
          classic: true,
        }),
      /needs the user/,
    );
    assert.throws(
      () =>
        addEntryToConfigText(YAML, 'yaml', req('directory', '.mozilla', '/nix/persist/home/bob')),
      /no such storage directory/,
    );
  });

  test("ignore with --store naming a user's own directory writes to users.<user>.ignore", () => {
    const file = join(tmp, 'ignore.yaml');
    writeFileSync(file, YAML);
    const current = loadConfigText(YAML, file, { root, format: 'yaml' });
    for (const user of ['jane', undefined]) {
      const p = prepareIgnore(
        {
          configFile: file,
          root,
          pattern: '/home/jane/.cache/',
          store: DIR,
          ...(user ? { user } : {}),
        },
        current,
      );
      assert.equal(p.option, 'users.jane.ignore');
      assert.equal(p.after, `${YAML}    ignore: [/.cache/]\n`);
      const model = loadConfigText(p.after, file, { root, format: 'yaml' });
      assert.deepEqual(model.stores.sort(), ['/persist', DIR].sort(), 'no system location created');
    }
    assert.throws(
      () =>
        prepareIgnore(
          { configFile: file, root, pattern: '*.tmp', store: DIR, user: 'bob' },
          current,
        ),
      /jane/,
    );
  });

  test('ignore with --store naming no storage location is refused, and writes nothing', () => {
    const file = join(tmp, 'ignore-unknown.yaml');
    writeFileSync(file, YAML);
    const current = loadConfigText(YAML, file, { root, format: 'yaml' });
    assert.throws(
      () => prepareIgnore({ configFile: file, root, pattern: '*.tmp', store: '/nope' }, current),
      (e: Error & { hint?: string }) =>
        /\/nope is not a storage location/.test(e.message) && /\/persist/.test(e.hint ?? ''),
    );
  });
});
