// YAML in the block style configurations are written in is read without the `yaml` library. The
// raw tree must be the one the YAML-based reader makes of the same text, line and column of
// every key and value included, so that every message about the configuration reads the same;
// and whatever that reader would refuse, or read otherwise, must be left to it.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { makeLayout } from '../../bench/layout.js';
import { LIMITS } from '../../src/config/limits.js';
import { parseYamlText } from '../../src/config/read-yaml.js';
import { readYamlBlock } from '../../src/config/read-yaml-block.js';
import { badConfigs } from '../helpers/bad-configs.js';
import { REPO } from '../helpers/boot.js';
import { messageRoot } from '../helpers/config-messages.js';

const FILE = '/etc/keepsake/config.yaml';
const REALWORLD = path.join(REPO, 'test/fixtures/realworld');

/** Every YAML text at hand: the real configurations (block and flow style), the benchmark's
 *  layout, the documentation's examples, and the generated bad configurations. */
function corpus(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of fs.readdirSync(REALWORLD).filter((x) => x.endsWith('.json'))) {
    const value = JSON.parse(fs.readFileSync(path.join(REALWORLD, f), 'utf8'));
    out.push(
      [f, stringify(value)],
      [`${f}, flow style`, stringify(value, { collectionStyle: 'flow' })],
    );
  }
  out.push(['the benchmark layout', makeLayout().config]);
  for (const doc of fs.readdirSync(path.join(REPO, 'docs'))) {
    const text = fs.readFileSync(path.join(REPO, 'docs', doc), 'utf8');
    let n = 0;
    for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) out.push([`${doc} #${++n}`, m[1]!]);
  }
  for (const c of badConfigs().filter((b) => b.ext === 'yaml'))
    out.push([c.name, c.text.startsWith('\uFEFF') ? c.text.slice(1) : c.text]);
  return out;
}

/** The same tree as the YAML-based reader, or left to it; never a tree it would refuse. */
function agrees(name: string, text: string): boolean {
  const fast = readYamlBlock(text, FILE);
  if (fast === undefined) return false;
  let full: unknown;
  try {
    full = parseYamlText(text, FILE, 'yaml');
  } catch (error) {
    assert.fail(`${name}: read, but the YAML-based reader refuses it: ${(error as Error).message}`);
  }
  assert.deepEqual(fast, full, name);
  return true;
}

const same: Record<string, string> = {
  'maps, lists, comments and empty values': [
    '# keepsake',
    'persistence:   # the store',
    '  /persist:',
    '    hideMounts: true',
    '    empty:',
    '    also-empty:   # nothing',
    '    directories:',
    '    - /var/log',
    '    -   directory: /var/lib/a b',
    '        mode: 0700',
    '        user: "it\'s"',
    "        group: 'it''s'",
    '      # a comment between items',
    '    - { directory: "/srv/x", parentDirectory: { mode: "u=rwx,g=,o=" } }',
    '    files: [ /etc/machine-id, "/etc/a#b", b:c ]',
    '    users:',
    '      alice:',
    '        directories:',
    '          - Downloads',
    '          - .local/share/x',
    '        files: []',
    '        other: {}',
    '',
  ].join('\n'),
  'scalars of every kind it reads': [
    'a: ~',
    'b: null',
    'c: True',
    'd: FALSE',
    'e: 42',
    'f: 0700',
    'g: "x\\ty\\u00e9\\"\\\\"',
    'h: plain text with spaces',
    'i: a#b',
    'j: é😀',
    'k: foo[1]{2}',
    '"quoted key": 1',
    "'single': 2",
    '',
  ].join('\n'),
  'no final line break': 'a:\n  - b',
};

describe('reading block YAML without the yaml library', () => {
  for (const [name, text] of Object.entries(same)) {
    it(`gives the YAML-based reader's tree: ${name}`, () => {
      assert.ok(agrees(name, text), 'left to the YAML-based reader');
    });
  }

  it("gives the YAML-based reader's tree for every YAML text in the repository it reads", () => {
    let read = 0;
    const all = corpus();
    for (const [name, text] of all) if (agrees(name, text)) read++;
    // The real configurations in both styles, the layout and the documentation's examples.
    assert.ok(read > 150, `only ${read} of ${all.length} texts were read`);
  });

  it('agrees with the YAML-based reader on 20,000 texts with random edits', () => {
    const alphabet = [
      ' ',
      '\n',
      '- ',
      ':',
      ': ',
      '#',
      ' #',
      '"',
      "'",
      '[',
      ']',
      '{',
      '}',
      ',',
      '~',
      '0',
      '1',
      'a',
      '&x',
      '*x',
      '!',
      '|',
      '>',
      '?',
      '%',
      '.',
      'true',
      'null',
      '0o7',
      '1.5',
      '\\',
      '\\n',
      '\\x41',
      'é',
      '\u00a0',
      '---',
      '<<',
      '\t',
      '\r',
    ];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bases = corpus()
      .map(([, t]) => t)
      .filter((t) => t.length < 3000);
    let read = 0;
    for (let k = 0; k < 20_000; k++) {
      let t = bases[random(bases.length)]!;
      for (let e = 1 + random(3); e > 0; e--) {
        const at = random(t.length + 1);
        const op = random(3);
        const piece = alphabet[random(alphabet.length)]!;
        if (op === 0) t = t.slice(0, at) + piece + t.slice(at);
        else if (op === 1) t = t.slice(0, at) + t.slice(at + 1 + random(3));
        else t = t.slice(0, at) + piece + t.slice(at + 1);
      }
      if (agrees(`edit ${k}: ${JSON.stringify(t.slice(0, 200))}`, t)) read++;
    }
    assert.ok(read > 5000, `only ${read} edited texts were read`);
  });

  it('leaves to the YAML-based reader what it would refuse or read otherwise', () => {
    const many = `a:\n${Array.from({ length: LIMITS.nodes + 1 }, () => '- 1').join('\n')}\n`;
    const cases = {
      'a key twice': 'a: 1\na: 2\n',
      'a key twice in a flow map': 'a: { b: 1, b: 2 }\n',
      anchors: 'a: &x 1\nb: *x\n',
      tags: 'a: !!str 1\n',
      'a block scalar': 'a: |\n  text\n',
      'a plain scalar on two lines': 'a: one\n  two\n',
      'a quoted scalar on two lines': 'a: "one\n  two"\n',
      'a flow list on two lines': 'a: [1,\n  2]\n',
      'a document marker': '---\na: 1\n',
      'two documents': 'a: 1\n---\nb: 2\n',
      'a tab': 'a:\t1\n',
      'a carriage return': 'a: 1\r\n',
      floats: 'a: 1.5\n',
      'octal in the YAML 1.2 way': 'a: 0o700\n',
      'YAML escapes beyond JSON': 'a: "\\x41"\n',
      'a merge key': 'a:\n  <<: {}\n',
      'a value that is a map on one line': 'a: b: c\n',
      'an empty list item': 'a:\n  -\n',
      'a top-level scalar': 'just text\n',
      'a top-level flow map': '{ a: 1 }\n',
      'a trailing comma': 'a: [1, 2, ]\n',
      'bad indentation': 'a:\n    b: 1\n  c: 2\n',
      'more values than the limit': many,
      empty: '',
      'only comments': '# nothing\n',
    };
    for (const [name, text] of Object.entries(cases))
      assert.equal(readYamlBlock(text, FILE), undefined, name);
  });

  describe('messages', () => {
    const messages = messageRoot('yaml', FILE);
    after(() => messages.cleanup());

    it('are the same, word for word and place for place, for every YAML text at hand', async () => {
      for (const [name, text] of corpus()) {
        const { fast, full } = await messages.both(text);
        assert.deepEqual(fast, full, name);
      }
    });
  });
});
