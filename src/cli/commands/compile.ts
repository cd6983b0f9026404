import { resolveRoot } from '../../apply/pipeline.js';
import { parseStoreDevices } from '../../compile/store-device.js';
import { compileSystemd, TMPFILES_FILE } from '../../compile/units.js';
import { writeOutputDir } from '../../compile/write.js';
import { loadConfig } from '../../config/index.js';
import { shellQuote } from '../../core/display.js';
import { count } from '../../core/text.js';
import { UsageError } from '../../errors.js';
import { VERSION } from '../../version.js';
import type { CompileOptions } from '../declare/compile.js';
import type { Output } from '../output.js';

/** A path as one shell word: bare when it needs no quoting. */
const shellWord = (s: string) => shellQuote(s, false);

export function run(opts: CompileOptions, out: Output): number {
  if (!opts.systemd) throw new UsageError('give the output directory: --systemd OUTDIR');
  const model = loadConfig(opts.config, { root: resolveRoot(opts.root), verbose: opts.verbose });
  const initrd = opts.initrd === true;
  const storeDevices = parseStoreDevices(opts.storeDevice ?? [], model.stores);
  const compiled = compileSystemd(model, { initrd, storeDevices });
  const marker = `${JSON.stringify({ generator: 'keepsake compile', version: VERSION, config: model.configFile, initrd }, null, 2)}\n`;
  const dir = writeOutputDir(opts.systemd, compiled.files, marker);
  const units = compiled.files.filter((f) => f.path.startsWith('system/') && !f.symlink);
  const mounts = units.filter((f) => f.path.endsWith('.mount')).length;
  const others = units.filter((f) => !f.path.endsWith('.mount')).map((f) => f.path.slice(7));
  if (out.json) {
    out.record('compile', {
      ok: true,
      outdir: dir,
      initrd,
      units: units.length,
      files: compiled.files.map((f) => ({
        path: f.path,
        ...(f.symlink ? { symlink: f.symlink } : {}),
      })),
      warnings: [...model.warnings, ...compiled.warnings],
    });
    return 0;
  }
  if (model.showWarnings) out.warnings([...model.warnings, ...compiled.warnings]);
  const system = shellWord(`${dir}/system`);
  out.line(
    `wrote ${count(units.length, 'unit')} to ${dir}/system: ${[count(mounts, 'mount'), ...others].join(', ')} (${count(model.entries.length, 'entry', 'entries')}; the prepare rules also in ${dir}/${TMPFILES_FILE})`,
  );
  out.line(
    initrd
      ? `install into the initrd's /etc/systemd/system, e.g.: dracut --force --include ${system} /etc/systemd/system`
      : `install: cp -a ${system}/. /etc/systemd/system/ && systemctl daemon-reload  (or into /usr/local/lib/systemd/system, or an image's /usr/lib/systemd/system)`,
  );
  return 0;
}
