// keepsake as a system tool: `keepsake schema`, and the Debian package built by
// scripts/package.mjs, checked from the outside (dpkg-deb, man, bash, lintian) after unpacking
// it into a temporary directory. Nothing is installed on this machine.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { EXAMPLE } from '../../src/cli/docs/man-config.js';
import { validateConfig } from '../../src/config/index.js';
import { buildJsonSchema, SCHEMA_MODELINE } from '../../src/config/json-schema.js';
import { SCHEMA } from '../../src/config/schema.js';
import { CLI, REPO } from '../helpers/boot.js';
import { skipUnlessCI } from '../helpers/ns-run.js';
import { loadRealworld, writeAccounts } from '../helpers/realworld.js';

const VERSION = (
  JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

const run = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });

type Json = Record<string, unknown>;

/**
 * The part of JSON Schema (draft-07) that keepsake's schema uses, enough to say whether a
 * document conforms: $ref into definitions, type, enum, anyOf, properties, required,
 * additionalProperties, items, minLength, minimum. Returns the paths that do not conform.
 */
function conform(root: Json, schema: Json, value: unknown, at = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const id = schema.$ref.replace('#/definitions/', '');
    return conform(root, (root.definitions as Record<string, Json>)[id] as Json, value, at);
  }
  if (Array.isArray(schema.anyOf)) {
    // None matches: the alternative that got furthest into the value explains best.
    const tries = (schema.anyOf as Json[]).map((s) => conform(root, s, value, at));
    if (tries.some((t) => t.length === 0)) return [];
    const depth = (t: string[]) => Math.max(...t.map((e) => e.split(':')[0]?.length ?? 0));
    return tries.reduce((a, b) => (depth(b) >= depth(a) ? b : a));
  }
  const typeOf = (v: unknown) =>
    v === null
      ? 'null'
      : Array.isArray(v)
        ? 'array'
        : Number.isInteger(v)
          ? 'integer'
          : typeof v === 'object'
            ? 'object'
            : typeof v;
  if (schema.type !== undefined) {
    const types = [schema.type].flat() as string[];
    if (!types.includes(typeOf(value))) return [`${at}: ${typeOf(value)} is not ${types}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${at}: not in enum`];
  if (typeof value === 'string' && value.length < ((schema.minLength as number) ?? 0))
    return [`${at}: too short`];
  if (typeof value === 'number' && value < ((schema.minimum as number) ?? -Infinity))
    return [`${at}: too small`];
  const errors: string[] = [];
  if (Array.isArray(value) && schema.items !== undefined)
    for (const [i, v] of value.entries())
      errors.push(...conform(root, schema.items as Json, v, `${at}[${i}]`));
  if (typeOf(value) === 'object') {
    const obj = value as Json;
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const name of (schema.required ?? []) as string[])
      if (!(name in obj)) errors.push(`${at}: ${name} is required`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = props[k] ?? schema.additionalProperties;
      if (sub === false) errors.push(`${at}.${k}: not allowed`);
      else if (sub !== undefined && sub !== true)
        errors.push(...conform(root, sub as Json, v, `${at}.${k}`));
    }
  }
  return errors;
}

describe('keepsake schema', () => {
  let printed: ReturnType<typeof run>;
  before(() => {
    printed = run(process.execPath, [CLI, 'schema']);
  });

  it('prints the JSON Schema rendered from the schema table', () => {
    assert.equal(printed.status, 0, printed.stderr);
    const schema = JSON.parse(printed.stdout) as Json;
    assert.deepEqual(schema, buildJsonSchema());
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    // Every option of every section of the table is a property, with its description.
    const definitions = schema.definitions as Record<string, Json>;
    for (const s of SCHEMA) {
      const def = s.id === 'root' ? schema : definitions[s.id];
      assert.ok(def, `section ${s.id} is in the schema`);
      const props = def.properties as Record<string, Json>;
      assert.deepEqual(
        Object.keys(props),
        s.options.map((o) => o.name),
        s.id,
      );
      for (const o of s.options)
        assert.ok(String(props[o.name]?.markdownDescription).startsWith(o.description));
    }
  });

  it('accepts every real-world configuration, and rejects what keepsake rejects', () => {
    const schema = JSON.parse(printed.stdout) as Json;
    const cases = loadRealworld();
    assert.ok(cases.length >= 10);
    for (const c of cases) assert.deepEqual(conform(schema, schema, c.config), [], c.name);
    // YAML's `key:` with nothing after it, an unquoted mode and a numeric uid are accepted.
    const loose = {
      persistence: {
        '/persist': {
          hideMounts: null,
          directories: [{ directory: '/var/lib/x', mode: 0o700, user: 0, method: 'symlink' }],
          files: null,
        },
      },
    };
    assert.deepEqual(conform(schema, schema, loose), []);
    const bad: [unknown, RegExp][] = [
      [{ persistance: {} }, /\$\.persistance: not allowed/],
      [{ persistence: { '/p': { hideMounts: 'yes' } } }, /hideMounts: string is not boolean/],
      [
        { persistence: { '/p': { directories: [{ directory: '/a', method: 'bind' }] } } },
        /directories\[0\]\.method: not in enum/,
      ],
      [{ persistence: { '/p': { files: [{ mode: '0600' }] } } }, /files\[0\]: file is required/],
      [{ users: { jane: { files: { '.x': { txt: 'a' } } } } }, /txt: not allowed/],
    ];
    for (const [config, why] of bad)
      assert.match(conform(schema, schema, config).join('\n'), why, JSON.stringify(config));
  });
});

describe('keepsake.yaml(5)', () => {
  it('has an example that keepsake accepts and the schema describes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keepsake-example-'));
    try {
      writeAccounts(path.join(dir, 'root'), ['jane', 'colord'], ['colord']);
      const file = path.join(dir, 'config.yaml');
      writeFileSync(file, EXAMPLE);
      const { model, diagnostics } = validateConfig(file, { root: path.join(dir, 'root') });
      assert.deepEqual(
        diagnostics.filter((d) => d.severity === 'error'),
        [],
      );
      assert.equal(model?.entries.length, 7);
      const schema = buildJsonSchema();
      assert.deepEqual(conform(schema, schema, parseYaml(EXAMPLE)), []);
      assert.ok(EXAMPLE.startsWith(`${SCHEMA_MODELINE}\n`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Debian package', {
  skip: skipUnlessCI(need('dpkg-deb', 'dpkg-shlibdeps', 'strip', 'man', 'bash')),
}, () => {
  let [tmp, unpacked, arch, deb, cfgDir] = ['', '', '', '', ''];
  after(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'keepsake-package-'));
    unpacked = path.join(tmp, 'unpacked');
    arch = run('dpkg', ['--print-architecture']).stdout.trim();
    deb = path.join(tmp, `keepsake_${VERSION}_${arch}.deb`);
    cfgDir = path.join(tmp, 'cfg');
    const r = run(process.execPath, [path.join(REPO, 'scripts/package.mjs'), '--out', tmp], {
      cwd: REPO,
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.deepEqual(readdirSync(tmp), [path.basename(deb)]);
    const x = run('dpkg-deb', ['-x', deb, unpacked]);
    assert.equal(x.status, 0, x.stderr);
    // A directory to complete in: one configuration file, one other file, one directory.
    mkdirSync(path.join(cfgDir, 'sub'), { recursive: true });
    writeFileSync(path.join(cfgDir, 'a.yaml'), '');
    writeFileSync(path.join(cfgDir, 'b.txt'), '');
  });

  it('has the control fields of an architecture-specific package that needs Node 20', () => {
    const field = (name: string) => run('dpkg-deb', ['-f', deb, name]).stdout.trim();
    assert.equal(field('Package'), 'keepsake');
    assert.equal(field('Version'), VERSION);
    assert.equal(field('Architecture'), arch);
    // Node runs the bundle; the addon needs the C library version its symbols come from.
    assert.match(field('Depends'), /^nodejs \(>= 20\), libc6 \(>= [\d.]+\)$/);
    assert.match(field('Description'), /^\S.{10,79}\n \S/);
    assert.match(field('Maintainer'), /^[^<]+ <[^@\s]+@[^>\s]+>$/);
    // Installed-Size is what the files take, in KiB (each file rounded up, as dpkg counts).
    const found = run('find', [path.join(unpacked, 'usr'), '-printf', '%y %s\\n']).stdout;
    const kib = found
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .reduce(
        (sum, [type, bytes]) => sum + (type === 'd' ? 1 : Math.ceil(Number(bytes) / 1024)),
        0,
      );
    assert.equal(Number(field('Installed-Size')), kib);
    assert.ok(kib > 100, `${kib} KiB`);
  });

  it('is the same package when built again from the same tree', () => {
    const again = path.join(tmp, 'again');
    const r = run(process.execPath, [path.join(REPO, 'scripts/package.mjs'), '--out', again], {
      cwd: REPO,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(path.join(again, path.basename(deb))).equals(readFileSync(deb)));
  });

  it('holds the launcher, the bundle, the addon, man pages, completions and the schema', () => {
    const listing = run('dpkg-deb', ['-c', deb]).stdout;
    const entry = (p: string) => listing.split('\n').find((l) => l.endsWith(` ./${p}`)) ?? '';
    assert.match(entry('usr/bin/keepsake'), /^-rwxr-xr-x root\/root /);
    assert.match(entry('usr/lib/keepsake/dist/bundle/keepsake.js'), /^-rw-r--r-- root\/root /);
    assert.match(entry('usr/lib/keepsake/build/Release/keepsake_mount.node'), /^-rw-r--r-- /);
    // Not the code cache the build made for its own Node: not the same bytes twice.
    assert.doesNotMatch(listing, /\.v8$/m);
    for (const p of [
      'usr/share/man/man8/keepsake.8.gz',
      'usr/share/man/man5/keepsake.yaml.5.gz',
      'usr/share/bash-completion/completions/keepsake',
      'usr/share/zsh/vendor-completions/_keepsake',
      'usr/share/fish/vendor_completions.d/keepsake.fish',
      'usr/share/keepsake/keepsake.schema.json',
      'usr/share/doc/keepsake/copyright',
    ])
      assert.notEqual(entry(p), '', `${p} is in the package`);
    const file = run('file', [
      '-b',
      path.join(unpacked, 'usr/lib/keepsake/build/Release/keepsake_mount.node'),
    ]);
    if (file.status === 0) assert.match(file.stdout, /ELF .*shared object/);
    const schema = readFileSync(
      path.join(unpacked, 'usr/share/keepsake/keepsake.schema.json'),
      'utf8',
    );
    assert.deepEqual(JSON.parse(schema), buildJsonSchema());
  });

  it('runs from the unpacked tree, from any directory, with the native addon', () => {
    const elsewhere = path.join(tmp, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(
      path.join(elsewhere, 'keepsake.yaml'),
      'persistence:\n  /persist:\n    directories: [ /var/log ]\n    files: [ /etc/machine-id ]\n',
    );
    const bin = path.join(unpacked, 'usr/bin/keepsake');
    const env = { ...process.env, NO_COLOR: '1', KEEPSAKE_MOUNT_BACKEND: 'native' };
    const version = run(bin, ['--version'], { cwd: elsewhere, env });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);
    // A link to the launcher (as in /usr/local/bin) finds the same tree.
    symlinkSync(bin, path.join(elsewhere, 'ks'));
    const linked = run(path.join(elsewhere, 'ks'), ['--version'], { cwd: tmpdir(), env });
    assert.equal(linked.stdout.trim(), VERSION, linked.stderr);
    const check = run(bin, ['check', '--config', 'keepsake.yaml'], { cwd: elsewhere, env });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /keepsake\.yaml: valid; 2 entries in 1 store \(\/persist\)/);
    const schema = run(bin, ['schema'], { cwd: elsewhere, env });
    assert.equal(
      schema.stdout,
      readFileSync(path.join(unpacked, 'usr/share/keepsake/keepsake.schema.json'), 'utf8'),
    );
    // The addon in the package loads (it is what apply uses; a broken one would fall back).
    const probe = run(process.execPath, [
      '-e',
      `require(${JSON.stringify(path.join(unpacked, 'usr/lib/keepsake/build/Release/keepsake_mount.node'))})`,
    ]);
    assert.equal(probe.status, 0, probe.stderr);
  });

  const man = (page: string) => {
    const r = run('man', ['--warnings', '-l', path.join(unpacked, page)], {
      env: { ...process.env, MANWIDTH: '100', LANG: 'C.UTF-8' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'groff has no complaint');
    return r.stdout;
  };

  it('renders keepsake(8) with every command and option', async () => {
    const text = man('usr/share/man/man8/keepsake.8.gz');
    const { buildProgram } = await import('../../src/cli/main.js');
    const { program } = buildProgram();
    const walk = (cmd: typeof program, prefix: string[]): void => {
      for (const sub of cmd.commands) {
        const name = [...prefix, sub.name()].join(' ');
        if (sub.commands.length > 0) walk(sub, [...prefix, sub.name()]);
        else assert.match(text, new RegExp(`^ {0,8}keepsake ${name}\\b`, 'm'), name);
        const start = sub.description().split(' ').slice(0, 4).join(' ').toLowerCase();
        assert.ok(text.toLowerCase().includes(start), `${name}: ${start}`);
        for (const o of sub.options)
          assert.ok(text.includes(o.long ?? o.flags), `${name} ${o.flags}`);
      }
    };
    walk(program, []);
    assert.match(text, /KEEPSAKE_CONFIG/);
    assert.match(text, /keepsake\.yaml\(5\)/);
  });

  it('renders keepsake.yaml(5) with every option of every section', () => {
    const text = man('usr/share/man/man5/keepsake.yaml.5.gz').replace(/\s+/g, ' ');
    for (const s of SCHEMA) {
      const at = text.indexOf(s.title.replace(/`/g, ''));
      assert.ok(at >= 0, s.title);
      for (const o of s.options) {
        const plainStart = o.description.replace(/`/g, '').split(' ').slice(0, 5).join(' ');
        assert.ok(text.includes(plainStart), `${s.id}.${o.name}: ${plainStart}`);
      }
    }
    assert.match(
      text,
      /yaml-language-server: \$schema=file:\/\/\/usr\/share\/keepsake\/keepsake\.schema\.json/,
    );
  });

  // Loads the completion as bash-completion would, then asks it as bash does on TAB.
  const COMPLETE = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; complete -p keepsake >/dev/null && _keepsake keepsake "\${COMP_WORDS[COMP_CWORD]}"; printf "%s\\n" "\${COMPREPLY[@]}"`;

  it('completes commands, options and configuration files in bash', () => {
    const script = path.join(unpacked, 'usr/share/bash-completion/completions/keepsake');
    const complete = (...words: string[]) => {
      const r = run('bash', ['-c', COMPLETE, 'bash', script, 'keepsake', ...words], {
        cwd: cfgDir,
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split('\n').sort();
    };
    assert.deepEqual(complete('ap'), ['apply']);
    assert.ok(complete('').includes('home'));
    assert.deepEqual(complete('home', 'ex'), ['expire']);
    assert.ok(complete('apply', '--').includes('--dry-run'));
    assert.ok(complete('home', 'expire', '--').includes('--older-than'));
    assert.ok(!complete('check', '--').includes('--dry-run'));
    assert.deepEqual(complete('check', '--config', ''), ['a.yaml', 'sub']);
  });

  it('completes in fish, and zsh reads its completion', {
    skip: skipUnlessCI(need('fish', 'zsh')),
  }, () => {
    const zsh = run('zsh', [
      '-n',
      path.join(unpacked, 'usr/share/zsh/vendor-completions/_keepsake'),
    ]);
    assert.equal(zsh.status, 0, zsh.stderr);
    const fishScript = path.join(unpacked, 'usr/share/fish/vendor_completions.d/keepsake.fish');
    const complete = (line: string) => {
      const r = run('fish', ['-c', 'source $argv[1]; complete -C $argv[2]', fishScript, line], {
        cwd: cfgDir,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      return r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]);
    };
    assert.deepEqual(complete('keepsake ap'), ['apply']);
    assert.deepEqual(complete('keepsake home ex'), ['expire']);
    const expire = complete('keepsake home expire --');
    assert.ok(expire.includes('--older-than') && !expire.includes('--dry-run'), String(expire));
    assert.deepEqual(complete('keepsake check --config '), ['a.yaml', 'sub/']);
  });

  it('passes lintian without errors', { skip: skipUnlessCI(need('lintian')) }, () => {
    const r = run('lintian', ['--fail-on', 'error', '--tag-display-limit', '0', deb]);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /^E: /m);
  });
});

/** Why a test cannot run here: the commands it needs that are missing, or null. */
function need(...commands: string[]): string | null {
  const missing = commands.filter((c) => run('sh', ['-c', `command -v ${c}`]).status !== 0);
  return missing.length > 0 ? `needs ${missing.join(', ')}` : null;
}
