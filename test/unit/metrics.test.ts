// The exposition text and the `metrics` key: label values are escaped so that a strict reader
// gets them back; names follow Prometheus' rules; the key is validated like every other.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { validateConfig } from '../../src/config/index.js';
import { escapeLabelValue, formatFamilies } from '../../src/metrics/exposition.js';
import { parseExposition, sampleValue } from '../helpers/exposition.js';
import { writeAccounts } from '../helpers/realworld.js';

describe('exposition text', () => {
  test('label values with a backslash, a quote and a newline come back as they were', () => {
    const odd = 'a\\b"c\nd';
    assert.equal(escapeLabelValue(odd), 'a\\\\b\\"c\\nd');
    const text = formatFamilies([
      {
        name: 'keepsake_test_bytes',
        help: 'A figure, with a backslash \\ and a\nnewline in its help.',
        samples: [
          { labels: { path: odd }, value: 3 },
          { labels: { path: 'plain' }, value: 0.5 },
        ],
      },
    ]);
    const f = parseExposition(text);
    assert.equal(sampleValue(f, 'keepsake_test_bytes', { path: odd }), 3);
    assert.equal(sampleValue(f, 'keepsake_test_bytes', { path: 'plain' }), 0.5);
    assert.equal(
      f.get('keepsake_test_bytes')?.help,
      'A figure, with a backslash \\ and a\nnewline in its help.',
    );
    assert.equal(f.get('keepsake_test_bytes')?.type, 'gauge');
  });

  test('a family with no samples is left out; values print as the format wants them', () => {
    const text = formatFamilies([
      { name: 'keepsake_none', help: 'Nothing.', samples: [] },
      { name: 'keepsake_big_bytes', help: 'Big.', samples: [{ value: 2 ** 53 }] },
      { name: 'keepsake_nan', help: 'Odd.', samples: [{ value: Number.NaN }] },
    ]);
    assert.doesNotMatch(text, /keepsake_none/);
    assert.match(text, /^keepsake_big_bytes 9007199254740992$/m);
    assert.match(text, /^keepsake_nan NaN$/m);
    parseExposition(text);
  });

  test('a name outside the rules is a programming error, never written', () => {
    assert.throws(() =>
      formatFamilies([{ name: 'keepsake-bad', help: 'x', samples: [{ value: 1 }] }]),
    );
    assert.throws(() =>
      formatFamilies([
        { name: 'keepsake_x', help: 'x', samples: [{ labels: { 'a-b': 'v' }, value: 1 }] },
      ]),
    );
  });
});

describe('the metrics key', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keepsake-metrics-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  const check = (text: string) => {
    const dir = join(tmp, String(n++));
    const root = join(dir, 'root');
    writeAccounts(root, [], []);
    const file = join(dir, 'keepsake.yaml');
    writeFileSync(file, text);
    return validateConfig(file, { root });
  };
  const base = 'persistence:\n  /persist:\n    directories: [/var/log]\n';

  test('a valid textfile directory reaches the model', () => {
    const r = check(`${base}metrics:\n  textfile: /var/lib/prometheus/node-exporter\n`);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.deepEqual(r.model?.metrics, { textfile: '/var/lib/prometheus/node-exporter' });
  });

  test('a relative path, a misspelt key and a wrong type are errors with line and fix', () => {
    const errs = (text: string) => check(text).diagnostics.filter((d) => d.severity === 'error');
    const rel = errs(`${base}metrics:\n  textfile: var/lib/prom\n`);
    assert.equal(rel.length, 1);
    assert.equal(rel[0]?.source?.line, 5);
    assert.match(rel[0]?.message ?? '', /^metrics\.textfile: /);
    assert.ok(rel[0]?.hint);
    const typo = errs(`${base}metrics:\n  textfil: /var/lib/prom\n`);
    assert.equal(typo.length, 1);
    assert.match(typo[0]?.message ?? '', /did you mean `textfile`/);
    const wrong = errs(`${base}metrics: /var/lib/prom\n`);
    assert.equal(wrong.length, 1);
    assert.equal(wrong[0]?.source?.line, 4);
    assert.match(wrong[0]?.message ?? '', /expected .*map/);
  });
});
