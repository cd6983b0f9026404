// A JSON configuration is read without the YAML parser. The raw tree must be the one the
// YAML-based reader makes of the same text, line and column of every key and value included,
// so that every message about the configuration reads the same; and what that reader would
// refuse or say more about must be left to it.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LIMITS } from '../../src/config/limits.js';
import { readJsonText } from '../../src/config/read-json.js';
import { parseYamlText } from '../../src/config/read-yaml.js';
import { badConfigs } from '../helpers/bad-configs.js';
import { messageRoot } from '../helpers/config-messages.js';

const FILE = '/etc/keepsake/config.json';

const same: Record<string, string> = {
  'a small configuration': JSON.stringify(
    { persistence: { '/persist': { hideMounts: true, directories: ['/var/lib/a', '/srv/b c'] } } },
    null,
    2,
  ),
  'one line':
    '{"persistence":{"/persist":{"directories":["/a",{"directory":"/b","mode":"0700"}]}}}',
  'escapes and characters beyond the basic plane':
    '{"k\\"ey": "a\\n\\t\\u00e9\\ud83d\\ude00", "é😀x": "😀 \\\\ \\/", "z": ["😀", "\\u0041"]}',
  'numbers, booleans and null':
    '{"a": 0, "b": -0, "c": 1.5e3, "d": 1E-2, "e": 12345678901234567890, "f": -7, "g": true, "h": false, "i": null, "j": 0.5}',
  'empty collections': '{"a": {}, "b": [], "c": [{}, []], "d": ""}',
  'CRLF line endings and tabs':
    '{\r\n\t"a": [\r\n\t\t1,\r\n\t\t"two"\r\n\t],\r\n\t"b": {"c": null}\r\n}\r\n',
  'a value on the next line': '{\n  "a":\n    [\n  1 ,\n 2\n ]\n  ,\n  "b"  :  "x"\n}\n',
  'a top-level list': '[1, "a", {"b": [true]}]',
  'a top-level scalar': '  "just text"  ',
  'a top-level number': '42',
};

describe('reading JSON without the YAML parser', () => {
  for (const [name, text] of Object.entries(same)) {
    it(`gives the YAML-based reader's tree: ${name}`, () => {
      const fast = readJsonText(text, FILE);
      assert.ok(fast, 'left to the YAML-based reader');
      assert.deepEqual(fast, parseYamlText(text, FILE, 'json'));
    });
  }

  it("gives the YAML-based reader's tree for every generated configuration it reads", () => {
    let read = 0;
    for (const c of badConfigs().filter((b) => b.ext === 'json')) {
      const text = c.text.startsWith('\uFEFF') ? c.text.slice(1) : c.text;
      const fast = readJsonText(text, FILE);
      if (fast === undefined) continue;
      read++;
      assert.deepEqual(fast, parseYamlText(text, FILE, 'json'), c.name);
    }
    assert.ok(read > 50, `only ${read} generated configurations were read`);
  });

  it('leaves to the YAML-based reader what it would refuse or read otherwise', () => {
    const many = `[${Array.from({ length: LIMITS.nodes + 1 }, () => '1').join(',')}]`;
    const cases = {
      'not JSON': '{"a": 1,}',
      'a key twice': '{"a": 1, "a": 2}',
      'a key twice, deeper': '{"x": [{"a": 1, "b": 2, "a": 3}]}',
      'more values than the limit': many,
      'a line break between a key and its colon': '{"a"\n: 1}',
      'a key longer than YAML reads': `{"${'k'.repeat(1100)}": 1}`,
      empty: '',
    };
    for (const [name, text] of Object.entries(cases))
      assert.equal(readJsonText(text, FILE), undefined, name);
  });

  describe('messages', () => {
    const messages = messageRoot('json', FILE);
    after(() => messages.cleanup());

    it('are the same, word for word and place for place, for every generated configuration', async () => {
      for (const c of badConfigs().filter((b) => b.ext === 'json')) {
        const { fast, full } = await messages.both(c.text);
        assert.deepEqual(fast, full, c.name);
      }
    });
  });
});
