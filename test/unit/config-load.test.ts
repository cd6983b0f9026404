// Reading configuration files: the three formats, positions of keys and values, syntax errors.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { loadFile, parseText } from '../../src/config/load.js';
import type { RawNode } from '../../src/config/raw.js';
import { checkStrictJson } from '../../src/config/strict-json.js';
import { scanTomlPositions } from '../../src/config/toml-positions.js';
import { ConfigError } from '../../src/errors.js';
import { writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-load-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

function write(name: string, text: string): { file: string; root: string } {
  const dir = join(tmp, String(counter++));
  const root = join(dir, 'root');
  writeAccounts(root, ['jane'], ['wheel']);
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, root };
}

function syntaxError(fn: () => unknown): {
  message: string;
  line: number;
  column: number;
  code: string;
} {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.diagnostics.length, 1);
    const d = e.diagnostics[0]!;
    return { message: d.message, line: d.source!.line, column: d.source!.column, code: d.code };
  }
  assert.fail('expected an error');
}

/** The node at a path of keys and indexes. */
function at(node: RawNode, ...path: Array<string | number>): RawNode {
  let cur = node;
  for (const p of path) {
    if (typeof p === 'number') {
      assert.equal(cur.kind, 'seq');
      cur = (cur as Extract<RawNode, { kind: 'seq' }>).items[p]!;
    } else {
      assert.equal(cur.kind, 'map');
      const entry = (cur as Extract<RawNode, { kind: 'map' }>).entries.find((e) => e.key === p);
      assert.ok(entry, `no key ${p}`);
      cur = entry.value;
    }
  }
  return cur;
}

const SAME_CONFIG = {
  yaml: `persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/log
      - directory: /var/lib/colord
        mode: "0700"
    files:
      - /etc/machine-id
`,
  json: `{
  "persistence": {
    "/persist": {
      "hideMounts": true,
      "directories": [
        "/var/log",
        { "directory": "/var/lib/colord", "mode": "0700" }
      ],
      "files": ["/etc/machine-id"]
    }
  }
}
`,
  toml: `[persistence."/persist"]
hideMounts = true
directories = [
  "/var/log",
  { directory = "/var/lib/colord", mode = "0700" },
]
files = ["/etc/machine-id"]
`,
};

describe('loading the three formats', () => {
  const expected: Record<string, Array<[string, number, number]>> = {
    // entry id, line, column of the list item
    yaml: [
      ['directory:/var/log', 5, 9],
      ['directory:/var/lib/colord', 6, 9],
      ['file:/etc/machine-id', 9, 9],
    ],
    json: [
      ['directory:/var/log', 6, 9],
      ['directory:/var/lib/colord', 7, 9],
      ['file:/etc/machine-id', 9, 17],
    ],
    toml: [
      ['directory:/var/log', 4, 3],
      ['directory:/var/lib/colord', 5, 3],
      ['file:/etc/machine-id', 7, 10],
    ],
  };
  for (const format of ['yaml', 'json', 'toml'] as const) {
    test(`${format}: same model, with the line and column of each entry`, () => {
      const { file, root } = write(`keepsake.${format}`, SAME_CONFIG[format]);
      const model = loadConfig(file, { root });
      assert.deepEqual(
        model.entries.map((e) => [e.id, e.source.line, e.source.column]),
        expected[format],
      );
      assert.equal(model.entries[1]!.owner.mode, 0o700);
      assert.equal(model.entries[1]!.source.option, 'persistence."/persist".directories[1]');
      assert.ok(model.entries.every((e) => e.hideMount));
      assert.equal(model.entries[0]!.source.file, file);
    });
  }

  test('.yml is YAML', () => {
    const { file, root } = write('keepsake.yml', SAME_CONFIG.yaml);
    assert.equal(loadConfig(file, { root }).entries.length, 3);
  });

  test('raw YAML values keep their positions and source text', () => {
    const loaded = parseText('a:\n  b: [1, 0700]\n  c: "x"\n', 'x.yaml');
    const b1 = at(loaded.root, 'a', 'b', 1);
    assert.deepEqual(b1.pos, { line: 2, column: 10 });
    assert.equal(b1.kind === 'scalar' && b1.text, '0700');
    assert.deepEqual(at(loaded.root, 'a', 'c').pos, { line: 3, column: 6 });
  });

  test('YAML anchors and aliases are followed', () => {
    const loaded = parseText('x: &dirs [/a, /b]\ny: *dirs\n', 'x.yaml');
    const y = at(loaded.root, 'y');
    assert.equal(y.kind, 'seq');
  });

  test('an empty file declares nothing (a warning, not an error)', () => {
    const { file, root } = write('empty.yaml', '# nothing yet\n');
    const model = loadConfig(file, { root });
    assert.equal(model.entries.length, 0);
    assert.deepEqual(
      model.warnings.map((w) => w.code),
      ['nothing-declared'],
    );
  });

  test('a byte order mark is ignored', () => {
    const { file, root } = write('bom.json', `\uFEFF${SAME_CONFIG.json}`);
    assert.equal(loadConfig(file, { root }).entries.length, 3);
  });
});

describe('TOML positions', () => {
  test('tables, arrays of tables, dotted keys and inline tables', () => {
    const text = `# comment
[persistence."/persist"]
hideMounts = true

[[persistence."/persist".directories]]
directory = "/var/lib/a"
mode = 0o700

[[persistence."/persist".directories]]
directory = '/var/lib/b'
parentDirectory.mode = "0755"

[persistence."/persist".users.jane]
files = [ ".bash_history", { file = ".x", mode = 644 } ]
`;
    const loaded = parseText(text, 'x.toml');
    const root = loaded.root;
    const loc = at(root, 'persistence', '/persist');
    assert.deepEqual(loc.pos, { line: 2, column: 1 });
    assert.deepEqual(at(root, 'persistence', '/persist', 'hideMounts').pos, {
      line: 3,
      column: 14,
    });
    assert.deepEqual(at(root, 'persistence', '/persist', 'directories', 0).pos, {
      line: 5,
      column: 1,
    });
    assert.deepEqual(at(root, 'persistence', '/persist', 'directories', 1).pos, {
      line: 9,
      column: 1,
    });
    const mode = at(root, 'persistence', '/persist', 'directories', 0, 'mode');
    assert.deepEqual(mode.pos, { line: 7, column: 8 });
    assert.equal(mode.kind === 'scalar' && mode.text, '0o700');
    assert.deepEqual(
      at(root, 'persistence', '/persist', 'directories', 1, 'parentDirectory', 'mode').pos,
      { line: 11, column: 24 },
    );
    assert.deepEqual(at(root, 'persistence', '/persist', 'users', 'jane', 'files', 1).pos, {
      line: 14,
      column: 28,
    });
    assert.deepEqual(at(root, 'persistence', '/persist', 'users', 'jane', 'files', 1, 'mode').pos, {
      line: 14,
      column: 50,
    });
  });

  test('multi-line strings and arrays do not confuse the scanner', () => {
    const text = `a = """
[not.a.table]
"""
b = [
  [1, 2], # nested
  'x',
]
c = "after"
`;
    const positions = scanTomlPositions(text);
    assert.deepEqual(positions.get(JSON.stringify(['c']))?.value, { line: 8, column: 5 });
    assert.deepEqual(positions.get(JSON.stringify(['b', 1]))?.value, { line: 6, column: 3 });
    assert.equal(positions.has(JSON.stringify(['not'])), false);
  });
});

describe('syntax errors name the line and column', () => {
  test('YAML', () => {
    const e = syntaxError(() =>
      parseText('persistence:\n  /persist:\n    directories: [a, b\n  files: []\n', 'x.yaml'),
    );
    assert.equal(e.code, 'yaml-syntax');
    assert.match(
      e.message,
      /^YAML syntax error: .*must be sufficiently indented and end with a \]/,
    );
    assert.deepEqual([e.line, e.column], [4, 3]);
  });

  test('YAML: a key written twice', () => {
    const e = syntaxError(() => parseText('persistence: {}\npersistence: {}\n', 'x.yaml'));
    assert.match(e.message, /unique/);
    assert.deepEqual([e.line, e.column], [2, 1]);
  });

  test('JSON: a trailing comma', () => {
    const e = syntaxError(() =>
      parseText('{\n  "persistence": {\n    "/p": {},\n  }\n}\n', 'x.json'),
    );
    assert.equal(e.code, 'json-syntax');
    assert.equal(e.message, 'JSON syntax error: trailing comma before "}"');
    assert.deepEqual([e.line, e.column], [4, 3]);
  });

  test('JSON: a missing comma', () => {
    const e = syntaxError(() => parseText('{\n  "a": 1\n  "b": 2\n}\n', 'x.json'));
    assert.equal(
      e.message,
      'JSON syntax error: expected "," or "}" after a property value, found `"`',
    );
    assert.deepEqual([e.line, e.column], [3, 3]);
  });

  test('JSON: comments and single quotes are not JSON', () => {
    assert.match(checkStrictJson('{ // hi\n}')?.message ?? '', /property name/);
    assert.match(checkStrictJson("['a']")?.message ?? '', /double quotes/);
    assert.equal(checkStrictJson('{"a": [1, 2.5e3, true, null, "x\\u00e9"]}'), undefined);
  });

  test('TOML', () => {
    const e = syntaxError(() => parseText('[persistence./persist]\n', 'x.toml'));
    assert.equal(e.code, 'toml-syntax');
    assert.match(e.message, /^TOML syntax error: /);
    assert.deepEqual([e.line, e.column], [1, 14]);
  });

  test('an unknown extension', () => {
    const e = syntaxError(() => loadFile(join(tmp, 'keepsake.conf')));
    assert.equal(e.code, 'unknown-format');
    assert.match(e.message, /"\.conf"; expected \.yaml, \.yml, \.toml or \.json/);
  });

  test('a missing file', () => {
    const e = syntaxError(() => loadFile(join(tmp, 'nope.yaml')));
    assert.equal(e.code, 'unreadable');
    assert.match(e.message, /no such file/);
  });
});
