// Every real-world configuration converts, and validates without errors whether it is written
// as YAML, JSON or TOML.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify as toToml } from 'smol-toml';
import { stringify as toYaml } from 'yaml';
import { formatDiagnostic, validateConfig } from '../../src/config/index.js';
import type { Model } from '../../src/model/types.js';
import { loadRealworld, writeAccounts } from '../helpers/realworld.js';

const FORMATS = ['yaml', 'json', 'toml'] as const;

function serialise(config: object, format: (typeof FORMATS)[number]): string {
  if (format === 'json') return `${JSON.stringify(config, null, 2)}\n`;
  if (format === 'toml') return toToml(config);
  return toYaml(config);
}

/** How many entries the configuration declares (every location here is enabled). */
function countEntries(config: Record<string, unknown>): number {
  let n = 0;
  const lists = (block: unknown) => {
    const b = block as Record<string, unknown[] | undefined>;
    n += (b.directories?.length ?? 0) + (b.files?.length ?? 0);
  };
  for (const loc of Object.values((config.persistence ?? {}) as Record<string, object>)) {
    lists(loc);
    for (const u of Object.values((loc as { users?: object }).users ?? {})) lists(u);
  }
  for (const u of Object.values((config.users ?? {}) as Record<string, object>)) {
    for (const loc of Object.values((u as { persistence?: object }).persistence ?? {})) lists(loc);
  }
  return n;
}

const withoutSources = (m: Model) => m.entries.map(({ source: _s, ...rest }) => rest);

const cases = loadRealworld();
const tmp = mkdtempSync(join(tmpdir(), 'keepsake-realworld-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the real-world configurations are there', () => {
  assert.ok(cases.length >= 10, `found ${cases.length}`);
});

for (const c of cases) {
  describe(c.name, () => {
    const root = join(tmp, c.name, 'root');
    writeAccounts(root, c.users, c.groups);
    const models = new Map<string, Model>();

    for (const format of FORMATS) {
      test(`validates as ${format}`, (t) => {
        const file = join(tmp, c.name, `keepsake.${format}`);
        writeFileSync(file, serialise(c.config, format));
        const { model, diagnostics } = validateConfig(file, { root });
        const errors = diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
        assert.deepEqual(errors, []);
        assert.ok(model);
        for (const w of model.warnings) t.diagnostic(formatDiagnostic(w));
        assert.equal(model.entries.length, countEntries(c.config));
        for (const e of model.entries) {
          assert.ok(e.source.line > 0, `${e.id} has no line in the ${format} file`);
          assert.ok(e.source.option.length > 0);
        }
        models.set(format, model);
      });
    }

    test('means the same in every format', () => {
      const yaml = models.get('yaml');
      assert.ok(yaml);
      for (const format of FORMATS) {
        const m = models.get(format);
        assert.ok(m);
        assert.deepEqual(withoutSources(m), withoutSources(yaml));
        assert.deepEqual(m.stores, yaml.stores);
      }
    });
  });
}
