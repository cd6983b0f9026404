// Configurations as people write them for impermanence, accepted as written: a home entry with
// a leading "/", which impermanence joins to the home; options of Home Manager's newer layout
// kept on the location. In both Home Manager layouts and under a location's `users`.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import { formatDiagnostic, validateConfig } from '../../src/config/index.js';
import { loadRealworld, writeAccounts } from '../helpers/realworld.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-spellings-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'root');
writeAccounts(root, ['jane'], ['wheel']);
let counter = 0;

function validate(text: string, accountsRoot = root) {
  const file = join(tmp, `c${counter++}.yaml`);
  writeFileSync(file, text);
  const v = validateConfig(file, { root: accountsRoot });
  const errors = v.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  const warnings = v.diagnostics.filter((d) => d.severity === 'warning');
  return { model: v.model, errors, warnings };
}

const pairs = (text: string) => {
  const v = validate(text);
  assert.deepEqual(v.errors, []);
  assert.ok(v.model);
  return { v, entries: v.model.entries.map((e) => [e.kind, e.target, e.store]) };
};

describe('a leading "/" in a home entry is relative to the home', () => {
  test('under persistence.<location>.users.<user>', () => {
    const { v, entries } = pairs(
      'persistence:\n  /persist:\n    users:\n      jane:\n        directories: ["/Documents", { directory: "/.ssh", mode: "0700" }]\n        files: ["/.bash_history"]\n',
    );
    assert.deepEqual(entries, [
      ['directory', '/home/jane/Documents', '/persist/home/jane/Documents'],
      ['directory', '/home/jane/.ssh', '/persist/home/jane/.ssh'],
      ['file', '/home/jane/.bash_history', '/persist/home/jane/.bash_history'],
    ]);
    const slash = v.warnings.filter((w) => w.code === 'home-path-leading-slash');
    assert.equal(slash.length, 3);
    assert.match(slash[0]!.message, /"\/Documents" starts with "\/".*read as "Documents"/);
    assert.equal(slash[0]!.source?.line, 5);
  });

  test("in Home Manager's classic layout, with removePrefixDirectory", () => {
    const { entries } = pairs(
      'users:\n  jane:\n    persistence:\n      /persist/home/jane:\n        directories: ["/Documents"]\n        files: ["/.bash_history"]\n      /persist/dots:\n        removePrefixDirectory: true\n        directories: ["/gpg/.gnupg"]\n',
    );
    assert.deepEqual(entries, [
      ['directory', '/home/jane/Documents', '/persist/home/jane/Documents'],
      ['file', '/home/jane/.bash_history', '/persist/home/jane/.bash_history'],
      ['directory', '/home/jane/.gnupg', '/persist/dots/gpg/.gnupg'],
    ]);
  });

  test('the same path with and without the "/" is one entry, declared twice', () => {
    const v = validate(
      'persistence:\n  /persist:\n    users:\n      jane:\n        directories: ["Documents", "/Documents/"]\n',
    );
    assert.equal(v.errors.length, 1);
    assert.match(v.errors[0]!, /duplicate|already declared/);
  });

  test('an absolute path inside the home is still an error, with the fix', () => {
    const v = validate(
      'persistence:\n  /persist:\n    users:\n      jane:\n        directories: ["/home/jane/.ssh"]\n',
    );
    assert.equal(v.errors.length, 1);
    assert.match(v.errors[0]!, /absolute-home-path|is an absolute path/);
    assert.match(v.errors[0]!, /write "\.ssh"/);
  });

  test('"/" alone names the home itself', () => {
    const v = validate(
      'persistence:\n  /persist:\n    users:\n      jane:\n        directories: ["/"]\n',
    );
    assert.equal(v.errors.length, 1);
    assert.match(v.errors[0]!, /home directory itself/);
  });
});

describe('the real-world configurations', () => {
  const cases = loadRealworld();
  const homeEntries = (config: Record<string, unknown>): unknown[][] => {
    const lists: unknown[][] = [];
    const block = (b: unknown) => {
      const o = b as Record<string, unknown[] | undefined>;
      for (const k of ['directories', 'files'] as const)
        if (Array.isArray(o?.[k])) lists.push(o[k]);
    };
    for (const loc of Object.values((config.persistence ?? {}) as Record<string, object>)) {
      for (const u of Object.values((loc as { users?: object }).users ?? {})) block(u);
    }
    for (const u of Object.values((config.users ?? {}) as Record<string, object>)) {
      for (const loc of Object.values((u as { persistence?: object }).persistence ?? {}))
        block(loc);
    }
    return lists;
  };
  const slashed = (e: unknown): unknown => {
    if (typeof e === 'string') return `/${e.trim().replace(/^\.\//, '')}`;
    const o = { ...(e as Record<string, unknown>) };
    for (const k of ['directory', 'file']) if (typeof o[k] === 'string') o[k] = slashed(o[k]);
    return o;
  };

  for (const c of cases) {
    const lists = homeEntries(c.config);
    if (lists.length === 0) continue;
    test(`${c.name}: home entries written with a leading "/" mean the same`, () => {
      const accounts = join(tmp, c.name);
      writeAccounts(accounts, c.users, c.groups);
      const plain = validate(toYaml(c.config), accounts);
      assert.deepEqual(plain.errors, []);
      const copy = structuredClone(c.config);
      for (const list of homeEntries(copy)) list.splice(0, list.length, ...list.map(slashed));
      const v = validate(toYaml(copy), accounts);
      assert.deepEqual(v.errors, []);
      const strip = (m: typeof v.model) => m?.entries.map(({ source: _s, ...rest }) => rest);
      assert.deepEqual(strip(v.model), strip(plain.model));
      const n = lists.reduce((sum, l) => sum + l.length, 0);
      assert.equal(v.warnings.filter((w) => w.code === 'home-path-leading-slash').length, n);
    });
  }

  test("Home Manager's newer layout with allowOther kept on the location", () => {
    const { entries } = pairs(
      'persistence:\n  /persist:\n    allowOther: true\n    hideMounts: true\n    users:\n      jane:\n        directories: [Documents]\n',
    );
    assert.deepEqual(entries, [
      ['directory', '/home/jane/Documents', '/persist/home/jane/Documents'],
    ]);
  });
});
