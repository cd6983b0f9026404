// What `keepsake apply --keep-going` (keepsake.service's command) loads at boot: every module
// is paid for before local-fs.target. No command-line framework; no YAML or TOML parser for a
// JSON configuration or block-style YAML; and none for other YAML either once the store holds
// the validated model.
// Each run is a boot: a private mount namespace and an empty /run.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from '../helpers/boot.js';
import { namespaceProblem, skipUnlessCI } from '../helpers/ns-run.js';

/** Text found only in each library's code, as the bundle carries it. */
const MARKERS = {
  'the command-line framework': 'unknownOption',
  'the YAML parser': 'Implicit keys need',
  'the TOML parser': 'unrecognised escape sequence',
};

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.KEEPSAKE_TEST_LOADED, url + '\\n');
  return next(url, context);
}
`;

describe('what a boot loads', { skip: skipUnlessCI(namespaceProblem()) }, () => {
  let dir: string;
  let root: string;
  before(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-bootpath-')));
    root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'persist'), { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
    fs.writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
    // ES modules through a loader hook; CommonJS files (the boot path's own bundle) as they
    // are compiled.
    fs.writeFileSync(
      path.join(dir, 'register.mjs'),
      [
        "import { appendFileSync } from 'node:fs';",
        "import Module, { register } from 'node:module';",
        "import { pathToFileURL } from 'node:url';",
        "register('./hooks.mjs', import.meta.url);",
        'const compile = Module.prototype._compile;',
        'Module.prototype._compile = function (content, filename) {',
        "  appendFileSync(process.env.KEEPSAKE_TEST_LOADED, pathToFileURL(filename) + '\\n');",
        '  return compile.call(this, content, filename);',
        '};',
        '',
      ].join('\n'),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** One boot's apply; the libraries whose code it loaded. */
  function bootApply(config: string): string[] {
    fs.rmSync(path.join(root, 'run'), { recursive: true, force: true });
    const log = path.join(dir, 'loaded.txt');
    fs.rmSync(log, { force: true });
    const r = spawnSync(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        process.execPath,
        '--import',
        path.join(dir, 'register.mjs'),
        CLI,
        'apply',
        '--keep-going',
        '--root',
        root,
        '--config',
        config,
      ],
      { encoding: 'utf8', env: { ...process.env, KEEPSAKE_TEST_LOADED: log } },
    );
    assert.equal(r.status, 0, `apply failed (${r.status}):\n${r.stdout}${r.stderr}`);
    const files = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file:'))
      .map((u) => new URL(u).pathname);
    assert.ok(files.length > 1, 'nothing of keepsake was loaded');
    const code = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    return Object.entries(MARKERS)
      .filter(([, marker]) => code.includes(marker))
      .map(([name]) => name);
  }

  it('loads no command-line framework and no parser for a JSON configuration', () => {
    const config = path.join(dir, 'keepsake.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ persistence: { '/persist': { directories: ['/var/lib/a'] } } }),
    );
    assert.deepEqual(bootApply(config), []);
  });

  it('loads no parser for YAML in the block style configurations are written in', () => {
    const config = path.join(root, 'persist/keepsake.yaml');
    fs.writeFileSync(config, 'persistence:\n  /persist:\n    directories: [/var/lib/b]\n');
    assert.deepEqual(bootApply(config), []);
  });

  it('loads none of Node’s stream, network, terminal or V8 modules, whatever stdout is', () => {
    const config = path.join(dir, 'streams.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ persistence: { '/persist': { directories: ['/var/lib/d'] } } }),
    );
    // Node's own account of the modules it loaded, written as the process exits.
    const preload = path.join(dir, 'modules.cjs');
    const log = path.join(dir, 'modules.txt');
    fs.writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)}, process.moduleLoadList.join('\\n') + '\\n'));\n`,
    );
    // A booted system's /run, empty (without it, a notice on stderr would be the first word).
    fs.rmSync(path.join(root, 'run'), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, 'run'));
    fs.rmSync(log, { force: true });
    const node = `${JSON.stringify(process.execPath)} -r ${JSON.stringify(preload)} ${JSON.stringify(CLI)} apply --keep-going --root ${JSON.stringify(root)} --config ${JSON.stringify(config)}`;
    // A boot's apply (it acts), to a pipe; the next (settled), to a socket; one that plans
    // nothing, to a file; and one in JSON to a pipe.
    const r = spawnSync(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        '/bin/sh',
        '-c',
        `set -e; ${node} | cat; ${node}; rm ${JSON.stringify(path.join(root, 'run/keepsake/settled.json'))}; ${node} > ${JSON.stringify(path.join(dir, 'out.txt'))}; ${node} --json | cat`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /nothing to do: all 1 entries in place|nothing to do: the 1 entry/);
    const loaded = fs.readFileSync(log, 'utf8').split('\n');
    for (const name of ['stream', 'net', 'tty', 'v8'])
      assert.ok(!loaded.includes(`NativeModule ${name}`), `${name} was loaded`);
    assert.equal(loaded.filter((l) => l === 'NativeModule vm').length, 4, 'four runs counted');
  });

  it('loads no parser for a YAML configuration the store holds the model of', () => {
    const config = path.join(root, 'persist/keepsake.yaml');
    // An anchor: YAML that only the YAML library reads.
    fs.writeFileSync(config, 'persistence:\n  /persist:\n    directories: [&c /var/lib/c]\n');
    // The first boot with this configuration parses it, and keeps the model in the store.
    assert.deepEqual(bootApply(config), ['the YAML parser']);
    assert.deepEqual(bootApply(config), []);
  });
});
