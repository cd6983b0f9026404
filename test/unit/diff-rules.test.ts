// The pure parts of `keepsake diff`: gitignore-style patterns, ignore rules and their bases,
// escaped display names, command-line values, and the `ignore` option's validation.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { addEntryToConfigText } from '../../src/config/edit.js';
import { loadConfig, validateConfig } from '../../src/config/index.js';
import { displayBytes, displayPath, shellQuote } from '../../src/core/display.js';
import { compileGlob, type Glob, globMatches, globReachesInto } from '../../src/core/glob.js';
import {
  buildIgnoreRules,
  DEFAULT_IGNORES,
  ignoredBy,
  ignorePatternFor,
  rulesInside,
} from '../../src/diff/ignore.js';
import { parseDepth, parseSize, parseSort } from '../../src/diff/options.js';
import { UsageError } from '../../src/errors.js';
import type { IgnorePattern } from '../../src/model/types.js';
import { writeAccounts } from '../helpers/realworld.js';

function glob(p: string): Glob {
  const g = compileGlob(p);
  assert.ok(g.ok, `${p} should compile`);
  return g.glob;
}
const matches = (p: string, rel: string, dir = false) => globMatches(glob(p), rel, dir);

describe('glob patterns', () => {
  test('a name without a slash matches at any depth; a slash anchors it', () => {
    assert.ok(matches('*.pid', 'run.pid'));
    assert.ok(matches('*.pid', 'var/lib/x/run.pid'));
    assert.ok(!matches('*.pid', 'var/lib/x/run.pid.old'));
    assert.ok(matches('/var/cache', 'var/cache'));
    assert.ok(!matches('/var/cache', 'x/var/cache'));
    assert.ok(matches('var/cache', 'var/cache'), 'an inner slash anchors too');
    assert.ok(!matches('var/cache', 'srv/var/cache'));
  });

  test('* and ? stay within a component; ** spans components', () => {
    assert.ok(matches('/home/*/.cache', 'home/jane/.cache'));
    assert.ok(!matches('/home/*/.cache', 'home/jane/x/.cache'));
    assert.ok(matches('/a/?.log', 'a/1.log'));
    assert.ok(!matches('/a/?.log', 'a/12.log'));
    assert.ok(!matches('/a/?', 'a//'));
    assert.ok(matches('**/node_modules', 'node_modules'));
    assert.ok(matches('**/node_modules', 'src/app/node_modules'));
    assert.ok(matches('/a/**/z', 'a/z'));
    assert.ok(matches('/a/**/z', 'a/b/c/z'));
    assert.ok(matches('/a/**', 'a/b/c'));
    assert.ok(!matches('/a/**', 'a'), '`a/**` is what is inside a, not a');
    assert.ok(matches('/a**b', 'axxb'), 'a ** inside a component is a *');
    assert.ok(!matches('/a**b', 'ax/xb'));
  });

  test('classes, negated classes and escapes', () => {
    assert.ok(matches('/log.[0-9]', 'log.7'));
    assert.ok(!matches('/log.[0-9]', 'log.x'));
    assert.ok(matches('/log.[!0-9]', 'log.x'));
    assert.ok(!matches('/log.[!0-9]', 'log.5'));
    assert.ok(matches('/a[]]b', 'a]b'));
    assert.ok(matches('/f\\*', 'f*'));
    assert.ok(!matches('/f\\*', 'fx'));
    assert.ok(matches('/a[b', 'a[b'), 'an unclosed class is a literal [');
    assert.ok(matches('/a+b(c)', 'a+b(c)'), 'regular-expression characters are literal');
    assert.ok(matches('/x.y', 'x.y'));
    assert.ok(!matches('/x.y', 'xzy'));
  });

  test('a trailing slash matches directories only; names may hold newlines', () => {
    assert.ok(matches('/tmp/', 'tmp', true));
    assert.ok(!matches('/tmp/', 'tmp', false));
    assert.ok(matches('/tmp', 'tmp', false));
    assert.ok(matches('*.txt', 'a\nb.txt'));
  });

  test('negation is recorded; bad patterns are refused', () => {
    assert.equal(glob('!/keep/').negate, true);
    assert.equal(glob('!/keep/').dirOnly, true);
    for (const bad of ['', '/', '!', '  ', '/a/../b', './x']) {
      assert.equal(compileGlob(bad).ok, false, JSON.stringify(bad));
    }
  });

  test('a literal prefix says where a pattern can still match', () => {
    const cache = glob('/var/cache/');
    assert.ok(globReachesInto(cache, ''));
    assert.ok(globReachesInto(cache, 'var'));
    assert.ok(!globReachesInto(cache, 'var/cache'), 'a literal path matches nothing inside itself');
    assert.ok(!globReachesInto(cache, 'usr'));
    const homes = glob('/home/*/.cache/');
    assert.ok(globReachesInto(homes, 'home'));
    assert.ok(globReachesInto(homes, 'home/jane'));
    assert.ok(!globReachesInto(homes, 'srv'));
    assert.ok(globReachesInto(glob('*.pid'), 'any/where'));
  });
});

const pattern = (p: string, base = '/', line = 3): IgnorePattern => ({
  pattern: p,
  base,
  source: {
    file: '/etc/keepsake/config.yaml',
    line,
    column: 7,
    option: 'persistence."/persist".ignore[0]',
  },
});

describe('ignore rules', () => {
  test('the built-in rules cover regenerated state, and only it', () => {
    const rules = buildIgnoreRules([], { defaults: true });
    assert.equal(rules.length, DEFAULT_IGNORES.length);
    assert.equal(ignoredBy(rules, '/tmp', true)?.origin, 'built-in');
    assert.equal(ignoredBy(rules, '/var/cache', true)?.origin, 'built-in');
    assert.equal(ignoredBy(rules, '/home/jane/.cache', true)?.origin, 'built-in');
    assert.equal(ignoredBy(rules, '/etc/resolv.conf', false)?.origin, 'built-in');
    assert.equal(ignoredBy(rules, '/tmp', false), undefined, '/tmp/ is for directories');
    assert.equal(ignoredBy(rules, '/var/lib/cache', true), undefined);
    assert.equal(ignoredBy(rules, '/etc/passwd', false), undefined);
  });

  test('the last matching rule decides; a negation re-includes', () => {
    const rules = buildIgnoreRules([pattern('*.log'), pattern('!/var/log/keep.log', '/', 4)], {
      defaults: false,
    });
    assert.match(ignoredBy(rules, '/srv/a.log', false)!.origin, /ignore\[0\] \(.*config.yaml:3\)/);
    assert.equal(ignoredBy(rules, '/var/log/keep.log', false), undefined);
  });

  test("a user's rules are relative to the home and apply only inside it", () => {
    const rules = buildIgnoreRules(
      [pattern('/Downloads/', '/home/jane'), pattern('*.iso', '/home/jane')],
      {
        defaults: false,
      },
    );
    assert.ok(ignoredBy(rules, '/home/jane/Downloads', true));
    assert.ok(ignoredBy(rules, '/home/jane/x/y.iso', false));
    assert.equal(ignoredBy(rules, '/home/bob/Downloads', true), undefined);
    assert.equal(ignoredBy(rules, '/Downloads', true), undefined);
    assert.equal(ignoredBy(rules, '/srv/y.iso', false), undefined);
  });

  test('rules drop out of subtrees they cannot reach, and wait for their base', () => {
    const rules = buildIgnoreRules([pattern('/Downloads/', '/home/jane')], { defaults: true });
    const inUsr = rulesInside(rules, '/usr/share');
    assert.equal(inUsr.length, 0, 'nothing can match inside /usr/share');
    assert.ok(rulesInside(rules, '/home').some((r) => r.base === '/home/jane'));
    assert.ok(rulesInside(rules, '/home/jane').some((r) => r.base === '/home/jane'));
    assert.ok(!rulesInside(rules, '/home/bob').some((r) => r.base === '/home/jane'));
  });

  test('keepsake ignore writes what was typed, anchored at the home for a user', () => {
    assert.equal(ignorePatternFor(' /var/lib/x/cache/ ', undefined), '/var/lib/x/cache/');
    assert.equal(
      ignorePatternFor('/home/jane/.local/share/Trash/', '/home/jane'),
      '/.local/share/Trash/',
    );
    assert.equal(ignorePatternFor('*.iso', '/home/jane'), '*.iso');
    assert.throws(() => ignorePatternFor('/srv/x', '/home/jane'), UsageError);
    assert.throws(() => ignorePatternFor('', undefined), UsageError);
  });
});

describe('display names', () => {
  test('control characters and backslashes are escaped; bytes that are not UTF-8 too', () => {
    assert.equal(displayPath('/a b/c'), '/a b/c');
    assert.equal(displayPath('/a\nb\tc\\d\x01'), '/a\\nb\\tc\\\\d\\x01');
    assert.equal(displayBytes(Buffer.from([0x2f, 0x61, 0xff, 0x62, 0xc3, 0xa9])), '/a\\xffbé');
    assert.equal(displayBytes(Buffer.from([0xe2, 0x82])), '\\xe2\\x82', 'a cut sequence');
    assert.equal(displayBytes(Buffer.from([0xed, 0xa0, 0x80])), '\\xed\\xa0\\x80', 'a surrogate');
  });

  test('shell quoting', () => {
    assert.equal(shellQuote('/var/lib/foo', false), '/var/lib/foo');
    assert.equal(shellQuote('/srv/VirtualBox VMs', false), "'/srv/VirtualBox VMs'");
    assert.equal(shellQuote("/srv/it's", false), "'/srv/it'\\''s'");
    assert.equal(shellQuote('/srv/a\\nb\\xff', true), "$'/srv/a\\nb\\xff'");
  });
});

describe('command-line values', () => {
  test('sizes, depths and sort orders', () => {
    assert.equal(parseSize('512'), 512);
    assert.equal(parseSize('64k'), 65536);
    assert.equal(parseSize('1.5M'), 1572864);
    assert.equal(parseSize('2GiB'), 2 * 1024 ** 3);
    assert.throws(() => parseSize('ten'), UsageError);
    assert.equal(parseDepth('0'), 0);
    assert.throws(() => parseDepth('-1'), UsageError);
    assert.equal(parseSort('mtime'), 'mtime');
    assert.throws(
      () => parseSort('name'),
      (e: UsageError) => /valid choices: size/.test(e.hint ?? ''),
    );
  });
});

describe('the ignore option', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keepsake-ignore-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const setup = (text: string) => {
    const root = join(tmp, 'root');
    writeAccounts(root, ['jane'], []);
    const file = join(tmp, 'keepsake.yaml');
    writeFileSync(file, text);
    return { file, root };
  };

  test('location and user patterns reach the model with their base and position', () => {
    const { file, root } = setup(
      'persistence:\n  /persist:\n    directories: [/var/log]\n    ignore:\n      - "*.pid"\n    users:\n      jane:\n        ignore: [/Downloads/]\n',
    );
    const m = loadConfig(file, { root });
    assert.deepEqual(
      m.ignores?.map((i) => [i.pattern, i.base, i.source.line, i.source.option]),
      [
        ['*.pid', '/', 5, 'persistence."/persist".ignore[0]'],
        ['/Downloads/', '/home/jane', 8, 'persistence."/persist".users.jane.ignore[0]'],
      ],
    );
  });

  test("a user's own ignore list is relative to the home", () => {
    const { file, root } = setup(
      'users:\n  jane:\n    ignore: ["/.local/share/Trash/", "*.tmp"]\n',
    );
    const m = loadConfig(file, { root });
    assert.deepEqual(
      m.ignores?.map((i) => [i.pattern, i.base, i.source.option]),
      [
        ['/.local/share/Trash/', '/home/jane', 'users.jane.ignore[0]'],
        ['*.tmp', '/home/jane', 'users.jane.ignore[1]'],
      ],
    );
  });

  test('bad patterns are reported at their line with the fix', () => {
    const { file, root } = setup(
      'persistence:\n  /persist:\n    directories: [/var/log]\n    ignore:\n      - ""\n      - { path: /x }\n    users:\n      jane:\n        ignore: "*.iso"\n',
    );
    const errors = validateConfig(file, { root }).diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(
      errors.map((d) => [d.code, d.source?.line, d.message]),
      [
        ['invalid-pattern', 5, 'persistence."/persist".ignore[0]: the pattern "" is empty'],
        [
          'wrong-type',
          6,
          'persistence."/persist".ignore[1]: expected a pattern (a string), got a map',
        ],
        [
          'wrong-type',
          9,
          'persistence."/persist".users.jane.ignore: expected a list of patterns, got "*.iso"',
        ],
      ],
    );
    assert.equal(errors[2]!.hint, 'write it as a list: ignore: [ "*.iso" ]');
  });

  test('keepsake ignore appends to the list, keeping comments, or creates it', () => {
    const text = '# mine\npersistence:\n  /persist:   # the store\n    directories: [/var/log]\n';
    const once = addEntryToConfigText(text, 'yaml', {
      kind: 'ignore',
      location: '/persist',
      path: '/srv/cache/',
    });
    assert.equal(once, `${text}    ignore: [/srv/cache/]\n`);
    const twice = addEntryToConfigText(once, 'yaml', {
      kind: 'ignore',
      location: '/persist',
      path: '*.pid',
    });
    assert.equal(twice, `${text}    ignore: [/srv/cache/, "*.pid"]\n`);
    assert.equal(
      addEntryToConfigText(twice, 'yaml', { kind: 'ignore', location: '/persist', path: '*.pid' }),
      twice,
    );
    const toml = addEntryToConfigText(
      '[persistence."/persist"]\ndirectories = ["/var/log"]\n',
      'toml',
      {
        kind: 'ignore',
        location: '/persist',
        path: '.cache/',
        user: 'jane',
      },
    );
    assert.match(toml, /ignore = \[\s*"\.cache\/"\s*\]/);
  });
});
