// When `keepsake add` or `keepsake ignore` cannot edit the configuration, the reason is a typed
// error with a hint, printed without a stack trace, and the file is left as it was.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type AddRequest,
  addEntryToConfigFile,
  addEntryToConfigText,
} from '../../src/config/edit.js';
import {
  ConfigEditError,
  exitCodeFor,
  KeepsakeError,
  SystemError,
  UsageError,
} from '../../src/errors.js';
import { CLI, REPO } from '../helpers/boot.js';
import { writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-edit-errors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const dir = (path: string, location = '/persist'): AddRequest => ({
  kind: 'directory',
  path,
  location,
});

function thrown(fn: () => unknown): KeepsakeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KeepsakeError, `expected a KeepsakeError, got ${String(e)}`);
    assert.ok(e.hint !== undefined && e.hint.length > 0, `no hint for ${e.message}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('typed errors', () => {
  test('the editing modules throw no untyped error', () => {
    const files = readdirSync(join(REPO, 'src/config')).filter((f) => f.startsWith('edit'));
    assert.ok(files.length >= 5);
    for (const f of files) {
      const text = readFileSync(join(REPO, 'src/config', f), 'utf8');
      assert.doesNotMatch(text, /new Error\(/, f);
    }
  });

  const cases: Array<[string, string, 'yaml' | 'toml' | 'json', AddRequest, unknown, RegExp]> = [
    [
      'YAML that does not parse',
      'persistence: [\n',
      'yaml',
      dir('/var/a'),
      ConfigEditError,
      /does not parse/,
    ],
    [
      'TOML that does not parse',
      '[persistence\n',
      'toml',
      dir('/var/a'),
      ConfigEditError,
      /does not parse/,
    ],
    [
      'JSON that does not parse',
      '{"persistence": }',
      'json',
      dir('/var/a'),
      ConfigEditError,
      /does not parse/,
    ],
    ['a top level that is a list', '- a\n', 'yaml', dir('/var/a'), ConfigEditError, /top level/],
    [
      'persistence that is a list',
      'persistence: [1]\n',
      'yaml',
      dir('/var/a'),
      ConfigEditError,
      /not a map/,
    ],
    [
      'directories that are a map',
      'persistence:\n  /persist:\n    directories: {a: 1}\n',
      'yaml',
      dir('/var/a'),
      ConfigEditError,
      /not a list/,
    ],
    [
      'a list that is an alias',
      'persistence:\n  /persist:\n    directories: &d []\n  /p2:\n    directories: *d\n',
      'yaml',
      dir('/var/a', '/p2'),
      ConfigEditError,
      /an alias/,
    ],
    ['a relative path', '', 'yaml', dir('var/a'), UsageError, /relative path/],
    ['an empty location', '', 'yaml', dir('/var/a', ''), UsageError, /location is empty/],
    ['a bad user name', '', 'yaml', { ...dir('a'), user: 'a b' }, UsageError, /not a user name/],
    [
      'an unusable pattern',
      '',
      'yaml',
      { kind: 'ignore', path: '', location: '/persist' },
      UsageError,
      /pattern/,
    ],
  ];
  for (const [name, text, format, req, type, message] of cases) {
    test(name, () => {
      const e = thrown(() => addEntryToConfigText(text, format, req));
      assert.ok(e instanceof (type as typeof KeepsakeError), `${e.name}: ${e.message}`);
      assert.match(e.message, message);
      assert.equal(exitCodeFor(e), 2);
    });
  }

  test('a bomb or a huge file is refused within the same limits as the loader', () => {
    const lines = ['a0: &a0 ["/x"]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`)}]`);
    const bomb = `${lines.join('\n')}\npersistence:\n  /persist:\n    directories: *a9\n`;
    const huge = `persistence:\n${Array.from({ length: 200_000 }, (_, i) => `  /p${i}: {}\n`).join('')}`;
    for (const [text, message] of [
      [bomb, /aliases expand to more than/],
      [huge, /larger than 2048 KiB \(the limit\)/],
    ] as const) {
      const start = performance.now();
      const e = thrown(() => addEntryToConfigText(text, 'yaml', dir('/var/a')));
      assert.ok(performance.now() - start < 2000);
      assert.ok(e instanceof ConfigEditError, e.message);
      assert.match(e.message, message);
    }
  });

  test('a file that cannot be read, or whose format is unknown', () => {
    const missing = thrown(() => addEntryToConfigFile(join(tmp, 'none.yaml'), dir('/var/a')));
    assert.ok(missing instanceof SystemError);
    assert.equal(missing.errno, 'ENOENT');
    assert.match(missing.message, /none\.yaml/);
    const odd = thrown(() => addEntryToConfigFile(join(tmp, 'x.ini'), dir('/var/a')));
    assert.ok(odd instanceof ConfigEditError);
  });

  test('the file name leads the message, and the file is unchanged', () => {
    const file = join(tmp, 'shape.yaml');
    const text = 'persistence:\n  /persist:\n    directories: {a: 1}\n';
    writeFileSync(file, text);
    const e = thrown(() => addEntryToConfigFile(file, dir('/var/a')));
    assert.ok(e instanceof ConfigEditError);
    assert.match(e.message, new RegExp(`^${file.replace(/[.]/g, '\\.')}: cannot add`));
    assert.equal(readFileSync(file, 'utf8'), text);
  });
});

test('keepsake add: an edit it cannot make is refused without a stack trace', () => {
  const root = join(tmp, 'root');
  writeAccounts(root, ['jane'], ['wheel']);
  mkdirSync(join(root, 'var/a'), { recursive: true });
  mkdirSync(join(root, 'persist'), { recursive: true });
  const file = join(tmp, 'aliased.yaml');
  const text = 'persistence:\n  /persist:\n    directories: &d []\n  /p2:\n    directories: *d\n';
  writeFileSync(file, text);
  const r = spawnSync(
    process.execPath,
    [CLI, 'add', '--dry-run', '/var/a', '--store', '/p2', '--config', file, '--root', root],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /an alias/);
  assert.match(r.stderr, /hint:/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.equal(readFileSync(file, 'utf8'), text);
});
