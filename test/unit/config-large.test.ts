// A large configuration, and the shortcuts that make reading one fast: each is checked against
// a straightforward computation of the same thing, so that taking a shortcut never changes the
// model, a message, or where a message points.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeLayout, STORE, USER } from '../../bench/layout.js';
import { storedCopyOf } from '../../src/config/accounts.js';
import { checkNesting, LIMITS } from '../../src/config/limits.js';
import { loadModelText } from '../../src/config/load-model.js';
import { joinPath, NAME_MAX, normaliseAbsolute, PATH_MAX } from '../../src/config/paths.js';
import { parseYamlText } from '../../src/config/read-yaml.js';
import { readYamlBlock } from '../../src/config/read-yaml-block.js';
import { ConfigError } from '../../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'keepsake-large-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every string of up to `max` characters from `alphabet`. */
function strings(alphabet: readonly string[], max: number): string[] {
  let level = [''];
  const out = [''];
  for (let n = 1; n <= max; n++) {
    level = level.flatMap((s) => alphabet.map((c) => s + c));
    out.push(...level);
  }
  return out;
}

describe('the benchmark configuration, 1,300 entries', () => {
  const layout = makeLayout();
  const root = join(tmp, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), layout.passwd);
  writeFileSync(join(root, 'etc/group'), layout.group);
  const file = join(tmp, 'keepsake.yaml');
  writeFileSync(file, layout.config);

  it('gives each entry the target, store, owner, method and place the layout says', async () => {
    const model = await loadModelText(layout.config, file, 'yaml', { root, verbose: false });
    // Where each entry is written: its line, the column of its value, and its option path,
    // found in the text by the path itself.
    const lines = layout.config.split('\n');
    const lineOf = new Map<string, number>();
    lines.forEach((l, i) => {
      const m = /"([^"]+)"/.exec(l);
      if (m !== null) lineOf.set(m[1]!, i);
    });
    const counters = new Map<string, number>();
    const home = { user: USER.name, uid: USER.uid, gid: USER.gid, path: USER.home };
    const explicit = { user: false, group: false, mode: false };
    const expected = layout.entries.map((e) => {
      const written = e.home ? e.target.slice(USER.home.length + 1) : e.target;
      const i = lineOf.get(written);
      assert.ok(i !== undefined, written);
      const line = lines[i]!;
      const list = `persistence."${STORE}"${e.home ? `.users.${USER.name}` : ''}.${e.kind === 'file' ? 'files' : 'directories'}`;
      const index = counters.get(list) ?? 0;
      counters.set(list, index + 1);
      const kind = e.kind === 'file' ? 'file' : 'directory';
      return {
        id: `${kind}:${e.target}`,
        kind,
        target: e.target,
        store: e.store,
        storeRoot: STORE,
        method: e.kind === 'symlink' ? 'symlink' : 'auto',
        owner: { uid: e.uid, gid: e.gid, mode: kind === 'file' ? 0o644 : 0o755, explicit },
        parents: { uid: e.uid, gid: e.gid, mode: 0o755, explicit },
        hideMount: false,
        allowTrash: false,
        adopt: false,
        source: {
          file,
          line: i + 1,
          column: line.indexOf('- ') + 3,
          option: `${list}[${index}]`,
        },
        ...(e.home ? { home } : {}),
      };
    });
    assert.equal(model.entries.length, 1300);
    assert.deepStrictEqual(model.entries, expected);
    // The same fields in the same order, as the model is written out (cache, --json).
    const order = Object.keys(expected.find((e) => 'home' in e)!);
    for (const entry of model.entries) {
      const keys = Object.keys(entry);
      assert.deepEqual(
        keys,
        entry.home === undefined ? order.filter((k) => k !== 'home') : order,
        entry.id,
      );
    }
    assert.deepEqual(model.stores, [STORE]);
    assert.deepEqual(model.warnings, []);
  });

  it('reports a mistake deep in the list at its own line and option, after every check', async () => {
    const lines = layout.config.split('\n');
    const at = lines.findIndex((l) => l.includes('/var/lib/bench/g05/'));
    const other = lines.findIndex((l, i) => i > at + 500 && l.includes('"/srv/bench/'));
    lines[at] = lines[at]!.replace('"/var/lib/bench/', '"var/lib/bench/');
    lines[other] = lines[other]!.replace('"/srv/bench/', '"/srv/bench/../');
    const text = lines.join('\n');
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, text);
    const error = await loadModelText(text, bad, 'yaml', { root, verbose: false }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError);
    const found = error.diagnostics.map((d) => [d.code, d.source?.line, d.source?.option]);
    const index = (i: number) => lines.slice(0, i).filter((l) => /^ {6}- /.test(l)).length;
    assert.deepEqual(found, [
      ['relative-path', at + 1, `persistence."${STORE}".directories[${index(at)}]`],
      ['dot-dot', other + 1, `persistence."${STORE}".directories[${index(other)}]`],
    ]);
  });
});

describe('joining paths', () => {
  /** The definition: "/" and every non-empty component of every piece. */
  const reference = (...parts: string[]) =>
    `/${parts
      .flatMap((p) => p.split('/'))
      .filter((c) => c !== '')
      .join('/')}`;
  const pieces = strings(['/', 'a', '.'], 4);

  it('gives the definition for every pair and triple of small pieces', () => {
    for (const a of pieces) {
      for (const b of pieces) {
        assert.equal(joinPath(a, b), reference(a, b), `${a} + ${b}`);
        for (const c of ['', '/', 'x', '/x/', 'x//y']) {
          assert.equal(joinPath(a, b, c), reference(a, b, c), `${a} + ${b} + ${c}`);
        }
      }
    }
    assert.equal(joinPath(), '/');
  });
});

describe('normalising an absolute path', () => {
  /** The rules of normaliseAbsolute, written out plainly: whether a path is accepted, and as
   *  what. */
  function reference(raw: string): string | undefined {
    const value = raw.trim();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what is refused
    if (value === '' || !value.startsWith('/') || /[\u0000-\u001f\u007f]/.test(value)) {
      return undefined;
    }
    const parts = value.split('/').filter((c) => c !== '' && c !== '.');
    if (parts.includes('..') || parts.length === 0) return undefined;
    if (parts.some((p) => Buffer.byteLength(p) > NAME_MAX)) return undefined;
    if (Buffer.byteLength(value) > PATH_MAX) return undefined;
    return `/${parts.join('/')}`;
  }

  const check = (raw: string) => {
    const got = normaliseAbsolute(raw);
    const want = reference(raw);
    assert.equal(got.ok ? got.path : undefined, want, JSON.stringify(raw));
    if (got.ok) {
      // A warning exactly when the path had white space to remove.
      assert.equal(got.warnings.length, raw.trim() === raw ? 0 : 1, JSON.stringify(raw));
    }
  };

  it('follows the rules for every short path of slashes, dots, letters and spaces', () => {
    for (const raw of strings(['/', '.', 'a', ' ', '\t', '\u00a0'], 6)) check(raw);
  });

  it('follows the rules at the length limits of a name and a path, in any script', () => {
    for (const c of ['a', '\u00e9', '\u4e2d', '\u{1f600}']) {
      for (const n of [84, 85, 86, 127, 128, 254, 255, 256]) {
        const name = c.repeat(n);
        check(`/${name}`);
        check(`/x/${name}/y`);
      }
      for (const n of [1300, 1364, 1365, 1366, 2047, 2048, 4094, 4095, 4096]) {
        const path = `/${Array.from({ length: Math.ceil(n / 50) }, () => c.repeat(49)).join('/')}`;
        check(path.slice(0, n));
      }
    }
  });
});

describe('finding the stored copy of an account file', () => {
  /** The definition: the deepest entry holding the path, and the path's place under its store. */
  function reference(path: string, entries: { kind: string; target: string; store: string }[]) {
    let best: { target: string; store: string } | undefined;
    for (const e of entries) {
      const holds =
        e.kind === 'file' ? e.target === path : e.target === '/' || path.startsWith(`${e.target}/`);
      if (holds && (!best || e.target.length > best.target.length)) best = e;
    }
    if (best === undefined) return undefined;
    if (best.target === path) return best.store;
    return `${best.store.replace(/\/+$/, '')}${path.slice(best.target === '/' ? 0 : best.target.length)}`;
  }

  it('picks what the definition picks, among targets that only share a prefix', () => {
    const targets = ['/', '/e', '/et', '/etc', '/etc/p', '/etc/passwd', '/etc/passwd2', '/etcx'];
    let found = 0;
    for (const kind of ['directory', 'file'] as const) {
      for (const target of targets) {
        const entries = [
          { kind, target, store: `/persist${target}` },
          { kind: 'directory' as const, target: '/et', store: '/p2/et' },
        ];
        for (const path of ['/etc/passwd', '/etc/group']) {
          const want = reference(path, entries);
          assert.equal(storedCopyOf(path, entries), want, `${kind} ${target} ${path}`);
          if (want !== undefined) found++;
        }
      }
    }
    assert.ok(found >= 5, `${found}`);
  });
});

describe('the nesting limit', () => {
  /** Where the limit is crossed, counted character by character. */
  function reference(text: string): string | undefined {
    let depth = 0;
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '\n') {
        line++;
        lineStart = i + 1;
      } else if (c === '[' || c === '{') {
        depth++;
        if (depth > LIMITS.depth) return `${line}:${i - lineStart + 1}`;
      } else if ((c === ']' || c === '}') && depth > 0) depth--;
    }
    return undefined;
  }

  const place = (text: string): string | undefined => {
    try {
      checkNesting('f.json', text);
      return undefined;
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const s = e.diagnostics[0]?.source;
      return `${s?.line}:${s?.column}`;
    }
  };

  it('is crossed where a character-by-character count crosses it', () => {
    const d = LIMITS.depth;
    const texts = [
      '[]',
      '['.repeat(d),
      '['.repeat(d + 1),
      `${'[\n'.repeat(d)}{`,
      `${'{"a":'.repeat(d)}1${'}'.repeat(d)}\n${'['.repeat(d)}`,
      `${'[]'.repeat(1000)}\n${'x\n'.repeat(1000)}${' '.repeat(7)}${'{'.repeat(d + 3)}`,
      `a: "${']'.repeat(10)}"\n${'['.repeat(d + 1)}`,
    ];
    for (const text of texts) assert.equal(place(text), reference(text), text.slice(0, 80));
  });
});

describe('comments in a long block YAML text', () => {
  it('reads it as the YAML-based reader does, wherever the # signs are', () => {
    const lines = ['persistence:', '  /persist:', '    directories:'];
    lines.push('      - "/srv/a #not a comment"', '      - /srv/b#c', "      - '/srv/#d'");
    for (let i = 0; i < 1500; i++) lines.push(`      - "/srv/e${i}"`);
    lines.push('      - /srv/f # a comment', '    # the files', '    files:', '      - /etc/g');
    const text = `${lines.join('\n')}\n`;
    const fast = readYamlBlock(text, 'c.yaml');
    assert.ok(fast !== undefined, 'left to the YAML-based reader');
    assert.deepEqual(fast, parseYamlText(text, 'c.yaml', 'yaml'));
  });
});
