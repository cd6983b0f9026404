#!/usr/bin/env node
// Builds keepsake_<version>_<arch>.deb from the built tree (npm run build) with dpkg-deb, no
// network: the launcher, the bundle and the native addon under /usr/lib/keepsake, the man
// pages, the shell completions and the configuration's JSON Schema, all rendered here from
// the compiled sources so that none can disagree with the program it ships with.
//   node scripts/package.mjs [--out DIR]   (default: dist)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => path.join(repo, ...p);
const outArg = process.argv.indexOf('--out');
const outDir = path.resolve(outArg > 0 ? process.argv[outArg + 1] : at('dist'));

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const addon = at('build/Release/keepsake_mount.node');
for (const [file, how] of [
  [at('dist/bundle/keepsake.js'), 'npm run build'],
  [at('dist/src/cli/docs/completions.js'), 'npm run build'],
  [addon, 'node scripts/build-addon.mjs --strict'],
])
  if (!existsSync(file)) fail(`${path.relative(repo, file)} is missing: run \`${how}\` first`);

const { version } = JSON.parse(readFileSync(at('package.json'), 'utf8'));
const changelog = readFileSync(at('packaging/debian/changelog'), 'utf8');
const logged = /^keepsake \(([^)]+)\)/.exec(changelog)?.[1];
if (logged !== version)
  fail(
    `packaging/debian/changelog starts with ${logged}, package.json says ${version}: add an entry`,
  );
const arch = run('dpkg', ['--print-architecture']).trim();

const { renderJsonSchema } = await import(at('dist/src/config/json-schema.js'));
const { renderConfigManual } = await import(at('dist/src/cli/docs/man-config.js'));
const { renderKeepsakeManual } = await import(at('dist/src/cli/docs/man-keepsake.js'));
const { renderBash, renderZsh, renderFish } = await import(at('dist/src/cli/docs/completions.js'));

const stage = mkdtempSync(path.join(tmpdir(), 'keepsake-deb-'));
try {
  const root = path.join(stage, 'root');
  const put = (rel, content) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  };
  // gzip as dh_compress does: best compression, no name or time stamp in the header.
  const gz = (text) => gzipSync(text, { level: 9 });

  put('usr/bin/keepsake', readFileSync(at('packaging/keepsake')));
  // The launcher /usr/bin/keepsake runs, and where compiled code may be kept, read by it
  // before the bundle; both CommonJS, as bin/package.json says (the one below says modules).
  for (const file of ['keepsake.js', 'compile-cache.js', 'package.json']) {
    put(`usr/lib/keepsake/bin/${file}`, readFileSync(at(`bin/${file}`)));
  }
  // package.json marks the bundle as ES modules and is how keepsake finds its own directory
  // (and so the addon under build/Release).
  put(
    'usr/lib/keepsake/package.json',
    `${JSON.stringify({ name: 'keepsake', version, type: 'module', private: true }, null, 2)}\n`,
  );
  // Not the code cache the build made for its own Node (bin/compile-cache.js): V8's cache is
  // not the same bytes from one build to the next, and the Node it is for may not be the one
  // the package is installed beside. The first apply compiles, and keeps its code in the store.
  cpSync(at('dist/bundle'), path.join(root, 'usr/lib/keepsake/dist/bundle'), {
    recursive: true,
    filter: (src) => !/\.v8(\.\d+\.tmp)?$/.test(src),
  });
  const shippedAddon = path.join(root, 'usr/lib/keepsake/build/Release/keepsake_mount.node');
  mkdirSync(path.dirname(shippedAddon), { recursive: true });
  copyFileSync(addon, shippedAddon);
  run('strip', [
    '--strip-unneeded',
    '--remove-section=.comment',
    '--remove-section=.note',
    shippedAddon,
  ]);
  put('usr/share/keepsake/keepsake.schema.json', renderJsonSchema());
  put('usr/share/man/man8/keepsake.8.gz', gz(renderKeepsakeManual()));
  put('usr/share/man/man5/keepsake.yaml.5.gz', gz(renderConfigManual()));
  put('usr/share/bash-completion/completions/keepsake', renderBash());
  put('usr/share/zsh/vendor-completions/_keepsake', renderZsh());
  put('usr/share/fish/vendor_completions.d/keepsake.fish', renderFish());
  put('usr/share/doc/keepsake/copyright', readFileSync(at('packaging/debian/copyright')));
  // A version without a Debian revision is a native package: its changelog is changelog.gz.
  put('usr/share/doc/keepsake/changelog.gz', gz(changelog));

  // Modes as policy wants them, whatever the umask: directories and the launcher 0755, the
  // rest 0644. Installed-Size counts KiB per file, rounded up, and one per directory, as dpkg.
  let kib = 0;
  const md5sums = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        chmodSync(p, 0o755);
        kib += 1;
        walk(p);
      } else {
        chmodSync(p, p === path.join(root, 'usr/bin/keepsake') ? 0o755 : 0o644);
        kib += Math.ceil(st.size / 1024);
        const sum = createHash('md5').update(readFileSync(p)).digest('hex');
        md5sums.push(`${sum}  ${path.relative(root, p)}`);
      }
    }
  };
  chmodSync(root, 0o755);
  walk(root);

  // The addon's C library dependency, as dpkg-shlibdeps works it out from the symbols used.
  const shlibsDir = path.join(stage, 'shlibs');
  mkdirSync(path.join(shlibsDir, 'debian'), { recursive: true });
  writeFileSync(
    path.join(shlibsDir, 'debian/control'),
    'Source: keepsake\n\nPackage: keepsake\nArchitecture: any\n',
  );
  const shlibs = /^shlibs:Depends=(.*)$/m.exec(
    run('dpkg-shlibdeps', ['-O', `-e${shippedAddon}`], { cwd: shlibsDir }),
  )?.[1];
  if (!shlibs) fail('dpkg-shlibdeps found no library dependency for the addon');

  const control = readFileSync(at('packaging/debian/control'), 'utf8')
    .replace('@VERSION@', version)
    .replace('@ARCH@', arch)
    .replace('@INSTALLED_SIZE@', String(kib))
    .replace('@SHLIBS@', shlibs);
  mkdirSync(path.join(root, 'DEBIAN'), { mode: 0o755 });
  writeFileSync(path.join(root, 'DEBIAN/control'), control, { mode: 0o644 });
  writeFileSync(path.join(root, 'DEBIAN/md5sums'), `${md5sums.sort().join('\n')}\n`, {
    mode: 0o644,
  });

  mkdirSync(outDir, { recursive: true });
  const deb = path.join(outDir, `keepsake_${version}_${arch}.deb`);
  // Time stamps from the changelog entry, as Debian's tools do, so that a rebuild of the same
  // tree gives the same package.
  const released = Date.parse(/^ -- .*?> {2}(.+)$/m.exec(changelog)?.[1] ?? '');
  if (Number.isNaN(released)) fail('packaging/debian/changelog: the top entry has no date');
  const epoch = process.env.SOURCE_DATE_EPOCH ?? String(Math.floor(released / 1000));
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], {
    env: { ...process.env, SOURCE_DATE_EPOCH: epoch },
  });
  console.log(deb);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
