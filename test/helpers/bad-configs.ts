// Generated bad configurations: each must be refused by `keepsake check` and `keepsake plan`
// with exit 2, a message naming the file and line, no stack trace, and nothing changed. Built
// from a few valid shapes by breaking one thing at a time, written in YAML, JSON and TOML, plus
// texts that only exist in one format (syntax errors, bombs, huge files).

import { stringify as toToml } from 'smol-toml';
import { stringify as toYaml } from 'yaml';

export interface BadConfig {
  name: string;
  ext: 'yaml' | 'json' | 'toml';
  text: string;
}

type Obj = Record<string, unknown>;

const loc = (body: Obj, store = '/persist'): Obj => ({ persistence: { [store]: body } });
const dirs = (...items: unknown[]): Obj => loc({ directories: items });
const files = (...items: unknown[]): Obj => loc({ files: items });
const home = (body: Obj): Obj => loc({ users: { jane: body } });
const classic = (body: Obj): Obj => ({
  users: { jane: { persistence: { '/persist/home/jane': body } } },
});

/** Strings that try to reach a shell, a terminal or a format string, where none is run. */
const INJECTIONS = [
  '$(touch /tmp/keepsake-pwned)',
  '`touch /tmp/keepsake-pwned`',
  '; rm -rf / #',
  '|| reboot',
  '%s%s%s%n',
  '\u001b[2J\u001b[31mred',
  '\u202etxt.exe',
  "' OR '1'='1",
  '{{7*7}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder as an attacker writes it
  '${HOME}',
];

/** One broken thing per configuration, as data every format can hold. */
function dataCases(): Array<[string, Obj]> {
  const out: Array<[string, Obj]> = [];
  const add = (name: string, config: Obj) => out.push([name, config]);

  // Wrong types for every option of a location.
  const bools = [
    'enable',
    'hideMounts',
    'allowTrash',
    'adopt',
    'enableWarnings',
    'enableDebugging',
  ];
  for (const opt of bools) {
    for (const v of ['yes', 1, [true], { a: true }]) {
      add(`location ${opt} = ${JSON.stringify(v)}`, loc({ [opt]: v, directories: ['/var/a'] }));
    }
  }
  for (const opt of ['directories', 'files', 'ignore']) {
    for (const v of ['/var/log', 7, { a: 1 }, true]) {
      add(`location ${opt} = ${JSON.stringify(v)}`, loc({ [opt]: v }));
    }
  }
  for (const v of [1, true, ['/a'], 'relative', '', '/a/../b', '/']) {
    add(`persistentStoragePath = ${JSON.stringify(v)}`, {
      persistence: { main: { persistentStoragePath: v, directories: ['/var/a'] } },
    });
  }
  for (const v of ['/var/a', 3, ['/p']]) add(`users = ${JSON.stringify(v)}`, loc({ users: v }));
  for (const v of [[], 'persist', 5, true])
    add(`persistence = ${JSON.stringify(v)}`, { persistence: v });

  // Entry options.
  const entryValues: Record<string, unknown[]> = {
    user: [-1, 1.5, '', '  ', 'ghost', 4294967295, 4294967296, '4294967295', [], { a: 1 }],
    group: [-1, 2.5, '', 'nogroup-here', 4294967295, 4294967296, []],
    mode: ['0800', '999', 'rwx', 99999, -1, 'u=rwx,q=r', '', true, [], '0o7777777', 'u+z'],
    method: ['bind', '', 1, 'bindfs', 'SYMLINK', []],
    persistentStoragePath: ['relative', '', '/a/../b', 1],
    hideMount: ['no', 0],
    allowTrash: ['no', 0],
    adopt: ['yes', 1],
    parentDirectory: ['0700', 1, [], { mode: '0999' }, { user: 'ghost' }, { owner: 'root' }],
  };
  for (const [opt, values] of Object.entries(entryValues)) {
    for (const v of values) {
      add(`directory entry ${opt} = ${JSON.stringify(v)}`, dirs({ directory: '/var/a', [opt]: v }));
    }
  }
  for (const v of ['0800', 'ghost', 'bind']) {
    const opt = v === 'ghost' ? 'user' : v === 'bind' ? 'method' : 'mode';
    add(`file entry ${opt} = ${v}`, files({ file: '/etc/a', [opt]: v }));
  }

  // Paths.
  const long = 'n'.repeat(256);
  const systemPaths = [
    '',
    ' ',
    'relative',
    './x',
    '../x',
    '/a/../b',
    '/',
    '//',
    '~/x',
    '/a\nb',
    '/a\tb',
    '/a\u0000b',
    `/var/${long}`,
    `/${Array(20).fill('p'.repeat(250)).join('/')}`,
    '/proc',
    '/proc/1',
    '/sys/kernel',
    '/dev',
    '/dev/shm/x',
    '/run/mount/x',
    '/.keepsake',
    '/.keepsake-home/jane',
    '/persist',
    '/persist/x',
    '/',
  ];
  for (const p of systemPaths) {
    add(`system directory ${JSON.stringify(p)}`, dirs(p));
    add(`system file ${JSON.stringify(p)}`, files(p));
  }
  for (const v of [null, 1, true, [], ['/a'], { mode: '0700' }, { file: '/a' }]) {
    add(`directory item ${JSON.stringify(v)}`, dirs(v));
  }
  const homePaths = [
    '/home/jane/.ssh',
    '~/x',
    '~',
    '../x',
    'a/../../x',
    '',
    '.',
    '/',
    `.${long}`,
    'a\nb',
  ];
  for (const p of homePaths) {
    add(`home directory ${JSON.stringify(p)}`, home({ directories: [p] }));
    add(`classic home file ${JSON.stringify(p)}`, classic({ files: [p] }));
  }
  add(
    'removePrefixDirectory with nothing left',
    classic({ removePrefixDirectory: true, directories: ['.gnupg'] }),
  );
  add('classic removePrefixDirectory = "yes"', classic({ removePrefixDirectory: 'yes' }));
  add('a user that does not exist', {
    persistence: { '/persist': { users: { ghost: { directories: ['a'] } } } },
  });
  add('a classic user that does not exist', {
    users: { ghost: { persistence: { '/p': { directories: ['a'] } } } },
  });
  add('a relative home', {
    users: { jane: { home: 'home/jane' } },
    ...home({ directories: ['a'] }),
  });
  add('home files with text and source', {
    users: { jane: { files: { '.a': { text: 'x', source: './y' } } } },
  });
  add('a home file without content', { users: { jane: { files: { '.a': {} } } } });
  add('a home file outside the home', { users: { jane: { files: { '../x': { text: 'x' } } } } });
  add('backupExtension with a slash', {
    users: { jane: { backupExtension: 'a/b', files: { '.a': { text: 'x' } } } },
  });

  // Unknown keys, at every level.
  for (const key of ['persistance', 'Persistence', 'environment', 'home', 'bogus', 'directories']) {
    add(`top-level key ${key}`, { [key]: {} });
  }
  for (const key of ['directory', 'dirs', 'hideMount', 'user', 'mode', 'enabled', 'allowother']) {
    add(`location key ${key}`, loc({ [key]: true }));
  }
  for (const key of ['dir', 'path', 'owner', 'perms', 'hideMounts', 'source']) {
    add(`entry key ${key}`, dirs({ directory: '/var/a', [key]: 'x' }));
  }
  add('an entry without its path', dirs({ mode: '0700' }));
  add('a file entry under directories', dirs({ file: '/etc/a' }));
  add('options where a location belongs', { persistence: { directories: ['/var/a'] } });
  add('a location named by a name without a path', {
    persistence: { main: { directories: ['/var/a'] } },
  });

  // Entries that conflict.
  add('the same directory twice', dirs('/var/a', '/var/a/'));
  add('a directory and a file at one path', loc({ directories: ['/var/a'], files: ['/var/a'] }));
  add('the same path from two stores', {
    persistence: { '/persist': { directories: ['/var/a'] }, '/p2': { directories: ['/var/a'] } },
  });
  add('an entry inside a file', loc({ files: ['/etc/a'], directories: ['/etc/a/b'] }));
  add('an entry inside a link from another store', {
    persistence: {
      '/persist': { directories: [{ directory: '/var/a', method: 'symlink' }] },
      '/p2': { directories: ['/var/a/b'] },
    },
  });
  add('a store under a target', { persistence: { '/var/persist': { directories: ['/var'] } } });
  add('a target in another store', {
    persistence: { '/persist': { directories: ['/p2/x'] }, '/p2': { directories: ['/var/a'] } },
  });
  add('a home entry twice across layouts', {
    ...home({ directories: ['a'] }),
    users: { jane: { persistence: { '/persist/home/jane': { directories: ['a'] } } } },
  });

  // Injection attempts, where they can only be refused.
  for (const s of INJECTIONS) {
    add(`injection as a user ${JSON.stringify(s)}`, dirs({ directory: '/var/a', user: s }));
    add(`injection as a method ${JSON.stringify(s)}`, dirs({ directory: '/var/a', method: s }));
    add(`injection as a key ${JSON.stringify(s)}`, loc({ [s]: true }));
    add(`injection as a relative path ${JSON.stringify(s)}`, dirs(s));
    add(
      `injection as a user name key ${JSON.stringify(s)}`,
      loc({ users: { [s]: { directories: ['a'] } } }),
    );
  }

  // Huge values that fit in every format but break a limit.
  // (More values than the limit: config-limits.test.ts, whose inputs are built to be fast to
  // read; a list of 100,000 values in every format would cost this suite seconds.)
  add('a 300 KiB path', dirs(`/${'a'.repeat(300 * 1024)}`));
  let deep: Obj = { directories: ['/var/a'] };
  for (let i = 0; i < 80; i++) deep = { x: deep };
  add('maps nested 80 deep', loc(deep));
  return out;
}

/** Texts that exist in one format only: syntax errors, aliases, bombs. */
function textCases(): BadConfig[] {
  const out: BadConfig[] = [];
  const keys = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
  const yaml = (name: string, text: string) => out.push({ name, ext: 'yaml', text });
  const json = (name: string, text: string) => out.push({ name, ext: 'json', text });
  const toml = (name: string, text: string) => out.push({ name, ext: 'toml', text });
  yaml('YAML: tab indentation', 'persistence:\n\t/persist:\n\t\tdirectories: [/a]\n');
  yaml('YAML: unclosed list', 'persistence:\n  /persist:\n    directories: [/a, /b\n');
  yaml('YAML: unclosed quote', 'persistence:\n  /persist:\n    directories: ["/a]\n');
  yaml('YAML: a key twice', 'persistence: {}\npersistence: {}\n');
  yaml('YAML: an undefined alias', 'persistence:\n  /persist:\n    directories: *nothing\n');
  yaml('YAML: two documents', 'persistence: {}\n---\npersistence: {}\n');
  yaml(
    'YAML: a missing space after the colon',
    'persistence:\n  /persist:\n    directories:[/a]\n',
  );
  yaml(
    'YAML: bad indentation',
    'persistence:\n  /persist:\n   directories: [/a]\n    files: [/b]\n',
  );
  yaml('YAML: a custom tag', 'persistence: !!python/object {}\n');
  yaml('YAML: binary data', '\u0000\u0001\u0002persistence');
  yaml('YAML: a key over 1024 characters', `persistence:\n  /${'a'.repeat(1100)}: {}\n`);
  json('JSON: trailing comma', '{"persistence": {"/p": {},}}');
  json('JSON: a comment', '{"persistence": {} // x\n}');
  json('JSON: single quotes', "{'persistence': {}}");
  json('JSON: NaN', '{"persistence": {"/p": {"enable": NaN}}}');
  json('JSON: a bare word', '{"persistence": yes}');
  json('JSON: two values', '{} {}');
  json('JSON: a key twice', '{"persistence": {}, "persistence": {}}');
  json('JSON: unclosed', '{"persistence": {"/p": {"directories": ["/a"]');
  json('JSON: a lone surrogate', '{"persistence": {"/p": {"directories": ["/a\\ud800"]}}, "x": }');
  toml('TOML: an unclosed table header', '[persistence\n');
  toml('TOML: an unquoted key with a slash', '[persistence./persist]\ndirectories = ["/a"]\n');
  toml('TOML: a key twice', '[persistence."/p"]\nenable = true\nenable = false\n');
  toml('TOML: a table twice', '[persistence."/p"]\n[persistence."/p"]\n');
  toml('TOML: an unterminated string', '[persistence."/p"]\ndirectories = ["/a]\n');
  toml('TOML: a bare value', '[persistence."/p"]\ndirectories = [/a]\n');
  toml(
    'TOML: dotted keys 100 deep',
    `${Array.from({ length: 100 }, (_, i) => `k${i}`).join('.')} = 1\n`,
  );
  toml('TOML: a dotted key of 100,000 parts', `a${'.a'.repeat(100_000)} = 1\n`);
  toml('TOML: a table header of 60,000 parts', `[${Array(60_000).fill('a').join('.')}]\n`);
  toml(
    'TOML: an inline table with a long dotted key',
    `x = { ${Array(200).fill('"k"').join('.')} = 1 }\n`,
  );
  toml('TOML: 40,000 tables', '[[a]]\n'.repeat(40_000));
  yaml(
    'YAML: a 100,000-character value aliased 9,000 times',
    `persistence:\n /p:\n  files: [&a "${'r'.repeat(100_000)}"]\n  directories: [${Array(9_000).fill('*a').join(', ')}]\n`,
  );
  yaml(
    'YAML: 19,000 aliases of one anchor',
    `persistence:\n /p:\n  files: &a [/x]\n  directories: [${Array(19_000).fill('*a').join(', ')}]\n`,
  );
  yaml(
    'YAML: 6,000 anchors, each aliased',
    `persistence:\n /p:\n  directories: [${keys(6_000, (i) => `&a${i} /x${i}`).join(', ')}]\n  files: [${keys(6_000, (i) => `*a${i}`).join(', ')}]\n`,
  );
  yaml('YAML: block lists 60,000 deep on one line', `${'- '.repeat(60_000)}x\n`);
  yaml('YAML: explicit keys 30,000 deep', `${'? '.repeat(30_000)}x\n`);

  // Alias bombs of several shapes, and other ways to be large.
  for (const [width, depth] of [
    [9, 9],
    [10, 6],
    [4, 16],
    [2, 30],
    [50, 4],
  ] as const) {
    const lines = ['a0: &a0 ["/x"]'];
    for (let i = 1; i <= depth; i++) {
      lines.push(
        `a${i}: &a${i} [${Array(width)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    }
    lines.push(`persistence:\n  /persist:\n    directories: *a${depth}`);
    yaml(`YAML: an alias bomb ${width}^${depth}`, `${lines.join('\n')}\n`);
  }
  const mapBomb = ['x0: &x0 {directories: ["/a"]}'];
  for (let i = 1; i < 12; i++) {
    mapBomb.push(`x${i}: &x${i} {${Array.from({ length: 8 }, (_, k) => `k${k}: *x${i - 1}`)}}`);
  }
  yaml('YAML: an alias bomb of maps', `${mapBomb.join('\n')}\npersistence: *x11\n`);
  yaml(
    'YAML: 200,000 location keys',
    `persistence:\n${keys(200_000, (i) => `  /p${i}: {bogus: 1}\n`).join('')}`,
  );
  json(
    'JSON: 200,000 location keys',
    `{"persistence":{${keys(200_000, (i) => `"/p${i}":{"bogus":1}`)}}}`,
  );
  toml(
    'TOML: 200,000 location keys',
    keys(200_000, (i) => `[persistence."/p${i}"]\nbogus = 1\n`).join(''),
  );
  yaml(
    'YAML: 20,000 bogus keys in one location',
    `persistence:\n  /p: {${keys(20_000, (i) => `k${i}: 1`)}}\n`,
  );
  for (const [ext, open, close] of [
    ['json', '[', ']'],
    ['yaml', 'a: [', ']'],
    ['toml', 'a = [', ']'],
  ] as const) {
    out.push({
      name: `${ext}: brackets 100,000 deep`,
      ext,
      text: `${open.repeat(100_000)}${close.repeat(100_000)}\n`,
    });
  }
  yaml('YAML: indentation 70 deep', `${keys(70, (i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`);
  yaml('YAML: one 2 MiB line', `persistence: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
  return out;
}

/** Every generated bad configuration. */
export function badConfigs(): BadConfig[] {
  const out: BadConfig[] = [];
  for (const [name, config] of dataCases()) {
    out.push({ name: `${name} (yaml)`, ext: 'yaml', text: toYaml(config) });
    out.push({ name: `${name} (json)`, ext: 'json', text: `${JSON.stringify(config, null, 1)}\n` });
    // TOML has no null, and no top level that is not a table.
    let text: string | undefined;
    try {
      text = toToml(config);
    } catch {
      text = undefined;
    }
    if (text !== undefined) out.push({ name: `${name} (toml)`, ext: 'toml', text });
  }
  out.push(...textCases());
  return out;
}
