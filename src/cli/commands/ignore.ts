import { prepareIgnore, writeIgnore } from '../../apply/ignore.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { loadConfig } from '../../config/index.js';
import type { IgnoreOptions } from '../declare/ignore.js';
import type { Output } from '../output.js';

/** `keepsake ignore PATTERN`: append a pattern to a location's (or a user's) `ignore` list. */
export async function run(opts: IgnoreOptions, out: Output): Promise<number> {
  const root = resolveRoot(opts.root);
  const current = loadConfig(opts.config, { root, verbose: opts.verbose });
  const prepared = prepareIgnore(
    {
      configFile: opts.config,
      root,
      pattern: opts.args[0] ?? '',
      ...(opts.store ? { store: opts.store } : {}),
      ...(opts.user ? { user: opts.user } : {}),
    },
    current,
  );
  const pattern = JSON.stringify(prepared.request.path);
  const changed = prepared.after !== prepared.before;
  if (!opts.dryRun) writeIgnore(opts.config, prepared);
  if (out.json) {
    out.record('ignore', {
      pattern: prepared.request.path,
      option: prepared.option,
      changed,
      dryRun: opts.dryRun === true,
    });
  } else if (!changed) {
    out.line(`${pattern} is in ${prepared.option} already`);
  } else {
    out.line(
      `${opts.dryRun ? 'would add' : 'added'} ${pattern} to ${prepared.option} in ${opts.config}`,
    );
  }
  return 0;
}
