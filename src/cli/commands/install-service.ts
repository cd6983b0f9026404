import * as path from 'node:path';
import { resolveRoot } from '../../apply/pipeline.js';
import { bootedPath, buildService, chooseBin } from '../../compile/service.js';
import { installIntoUnitDir } from '../../compile/write.js';
import { loadConfig } from '../../config/index.js';
import { hostPath } from '../../core/paths.js';
import { UsageError } from '../../errors.js';
import type { InstallServiceOptions } from '../declare/install-service.js';
import type { Output } from '../output.js';

export function run(opts: InstallServiceOptions, out: Output): number {
  const root = resolveRoot(opts.root);
  const model = loadConfig(opts.config, { root, verbose: opts.verbose });
  // The unit names paths as the booted system sees them: with --root, inside that root.
  const configFile = bootedPath(root, model.configFile);
  if (configFile === undefined)
    throw new UsageError(
      `the configuration ${model.configFile} is outside --root ${root}: the booted system could not read it`,
      'keep the configuration inside the root, e.g. in its store',
    );
  if (opts.bin !== undefined && !opts.bin.startsWith('/'))
    throw new UsageError(`--bin ${opts.bin}: give an absolute path`);
  const launcher = root === '/' ? process.argv[1] : undefined;
  const bin = opts.bin ?? chooseBin(launcher, model.stores);
  const service = buildService(model, { bin, configFile });
  if (!out.json && model.showWarnings) out.warnings([...model.warnings, ...service.warnings]);
  const unitDir = path.resolve(opts.unitDir ?? hostPath(root, '/etc/systemd/system'));
  if (opts.dryRun) {
    // Everything the real run writes, file by file, in the order it writes them.
    const files = service.files.map((f) => ({ ...f, path: path.join(unitDir, f.path) }));
    if (out.json) {
      const [unit] = service.files;
      out.record('install-service', {
        ok: true,
        dryRun: true,
        unit: unit?.content,
        files,
        bin,
        config: configFile,
      });
      return 0;
    }
    // The unit is what --dry-run was asked for: printed even with --quiet.
    files.forEach((f, i) => {
      if (i > 0) out.product('');
      if (f.symlink !== undefined) out.product(`# would link ${f.path} -> ${f.symlink}`);
      else {
        out.product(`# would write ${f.path}:`);
        out.product(f.content.replace(/\n$/, ''));
      }
    });
    return 0;
  }
  const written = installIntoUnitDir(unitDir, service.files);
  if (out.json) {
    out.record('install-service', {
      ok: true,
      dryRun: false,
      unitDir,
      files: written,
      bin,
      config: configFile,
      warnings: service.warnings,
    });
    return 0;
  }
  for (const f of written) out.line(`wrote ${f}`);
  out.line(
    'run systemctl daemon-reload (the unit starts at the next boot, before local-fs.target)',
  );
  return 0;
}
