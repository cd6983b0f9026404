// The bundle: keepsake's CLI and its dependencies in a few files under dist/bundle, for fast
// start-up (and early boot, where resolving modules over node_modules costs most). Code that
// only some runs need (the config parsers, each command) lands in chunks loaded on demand.
// The entry point reads plain `apply` arguments itself: the command-line framework is one of
// those chunks, so a boot's apply never loads it.
// The native addon stays a separate file, found from the package root.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Node's built-in modules through require(), not import: importing one as an ES module builds
// a facade that reads every export, and for node:fs and node:crypto that loads dozens of
// modules no run of keepsake uses (fs.promises with readline and streams, webcrypto), a few
// milliseconds of every start.
// Each built-in becomes one small ES module made here: its default export is the module, and
// each of its plain value properties is a named export read once. Left as a CommonJS module,
// esbuild would wrap it anew at every file that imports it, copying all of its properties as
// getters each time: for node:fs, imported by forty files, that was 10 ms of every start.
// Accessor properties (fs.promises, fs.opendirSync, crypto.webcrypto) are left out, since
// reading them loads what they stand for; a named use of one fails the build, as a missing
// export (logOverride below): such code reads it from the module itself, when it runs.
// Which properties are plain values is read in a new process, where nothing has touched the
// modules yet: in this one, importing node:fs as an ES module (as this script does) read every
// accessor once and left values behind (fs.Dir, fs.opendir, fs.opendirSync), and destructuring
// those in the bundle loaded Node's directory-reading module in every run, used or not.
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['default', 'delete', 'new', 'function', 'class', 'import', 'export']);
const valueNames = new Map();
function plainValues(specifier) {
  if (!valueNames.has(specifier)) {
    const list = `Object.entries(Object.getOwnPropertyDescriptors(require(${JSON.stringify(specifier)})))
      .filter(([, d]) => 'value' in d).map(([n]) => n)`;
    const out = execFileSync(
      process.execPath,
      ['-e', `process.stdout.write(JSON.stringify(${list}))`],
      {
        encoding: 'utf8',
      },
    );
    valueNames.set(specifier, JSON.parse(out));
  }
  return valueNames.get(specifier);
}
/** An import of a name a module does not export is an error, not a warning: it would be
 *  undefined when the code runs. */
const STRICT_IMPORTS = { 'import-is-undefined': 'error' };
function builtinModuleSource(specifier) {
  const names = plainValues(specifier).filter(
    (name) => IDENTIFIER.test(name) && !RESERVED.has(name),
  );
  const from = JSON.stringify(specifier);
  // node:module is Node's Module class, which a CommonJS file has as module.constructor: read
  // there, it brings in none of what loading node:module does (Node's ES module loader and
  // source maps, 0.4 ms of every run).
  const load =
    specifier === 'node:module'
      ? `typeof module === 'object' && typeof module?.constructor?.createRequire === 'function' ? module.constructor : require(${from})`
      : `require(${from})`;
  return `const m = ${load};\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`;
}
const builtinsAsCommonJs = {
  name: 'builtins-as-commonjs',
  setup(b) {
    // A require() (in the libraries, which are CommonJS) gets the module itself.
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.namespace === 'builtin' || args.kind === 'require-call'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: builtinModuleSource(args.path),
      loader: 'js',
    }));
  },
};

// Which build this is (src/version.ts): a digest of every source file and package.json.
function buildId() {
  const hash = createHash('sha256');
  const files = readdirSync('src', { recursive: true })
    .filter((f) => f.endsWith('.ts'))
    .sort();
  for (const f of [...files.map((f) => `src/${f}`), 'package.json']) {
    hash.update(`${f}\0`).update(readFileSync(f)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
const BUILD = { __KEEPSAKE_BUILD__: JSON.stringify(buildId()) };

// Chunk names carry content hashes: start empty so stale chunks never pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { keepsake: 'src/cli/entry.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  define: BUILD,
  banner: {
    js: "import { createRequire as __ksRequire } from 'node:module'; const require = __ksRequire(import.meta.url);",
  },
  plugins: [builtinsAsCommonJs],
  logOverride: STRICT_IMPORTS,
  logLevel: 'warning',
});

// The boot path (src/cli/boot.ts) once more, as one CommonJS file with all of keepsake's code
// a plain apply can reach: the launcher tries it first. The YAML and TOML libraries stay in
// files of their own, required only by a run that parses such a configuration (a boot with a
// cached model, JSON or block-style YAML never does).
const LIBRARIES = { yaml: './apply-yaml.cjs', 'smol-toml': './apply-toml.cjs' };
for (const [name, file] of Object.entries(LIBRARIES)) {
  await build({
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: '.' },
    outfile: `dist/bundle/${file.slice(2)}`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
// One CommonJS file with all of keepsake's code that `entry` can reach.
const commonJs = (entry, outfile, plugins = []) =>
  build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    // CommonJS has no import.meta: the file's own URL stands in (binding.ts finds the addon by it).
    // Worked out when first read (only ever inside functions): a URL built as the file loads
    // was a third of a millisecond of every run's start.
    define: { ...BUILD, 'import.meta.url': '__ksModule.url' },
    banner: {
      js: "const __ksModule = { get url() { return require('node:url').pathToFileURL(__filename).href; } };",
    },
    plugins: [builtinsAsCommonJs, ...plugins],
    logOverride: STRICT_IMPORTS,
    logLevel: 'warning',
  });
// The YAML and TOML libraries in their own files (above), required only where a configuration
// must be parsed.
const librariesApart = {
  name: 'libraries-apart',
  setup(b) {
    b.onResolve({ filter: /^(yaml|smol-toml)$/ }, (args) => ({
      path: LIBRARIES[args.path],
      external: true,
    }));
  },
};
// A re-apply that would plan nothing (src/cli/settled.ts): a small file of its own, tried
// before the boot path, so that a settled apply loads only what checking the record needs.
await commonJs('src/cli/settled.ts', 'dist/bundle/settled.cjs');
// A plain `keepsake diff` (src/cli/fast-diff.ts), likewise without the command-line framework.
await commonJs('src/cli/fast-diff.ts', 'dist/bundle/diff.cjs', [librariesApart]);
await commonJs('src/cli/boot.ts', 'dist/bundle/apply.cjs', [librariesApart]);
