import { readFileSync } from 'node:fs';
import { onlyLocation } from '../../apply/add.js';
import { resolveRoot } from '../../apply/pipeline.js';
import { addEntryToConfigFile, addEntryToConfigText } from '../../config/edit.js';
import { Accounts, loadConfig, loadConfigText } from '../../config/index.js';
import { formatOf } from '../../config/load.js';
import { ignorePatternFor } from '../../diff/ignore.js';
import { UsageError } from '../../errors.js';
import type { CommonOptions } from '../main.js';
import type { Output } from '../output.js';

/** `keepsake ignore PATTERN`: append a pattern to a location's (or a user's) `ignore` list. */
export async function run(
  opts: CommonOptions & { args: string[]; store?: string; user?: string; dryRun?: boolean },
  out: Output,
): Promise<number> {
  const root = resolveRoot(opts.root);
  const current = loadConfig(opts.config, { root, verbose: opts.verbose });
  const home = opts.user
    ? (current.entries.find((e) => e.home?.user === opts.user)?.home?.path ??
      Accounts.load(root).user(opts.user)?.home)
    : undefined;
  const request = {
    kind: 'ignore' as const,
    location: opts.store ?? onlyLocation(current),
    path: ignorePatternFor(opts.args[0] ?? '', home),
    ...(opts.user ? { user: opts.user } : {}),
  };
  const format = formatOf(opts.config);
  if (!format)
    throw new UsageError(`${opts.config}: keepsake edits .yaml, .yml, .toml and .json files`);
  const before = readFileSync(opts.config, 'utf8');
  const after = addEntryToConfigText(before, format, request);
  // The edited file must still validate before it is written.
  loadConfigText(after, opts.config, { root, format });
  const where = `persistence."${request.location}"${opts.user ? `.users.${opts.user}` : ''}.ignore`;
  if (out.json) {
    if (!opts.dryRun && after !== before) addEntryToConfigFile(opts.config, request);
    out.value({
      pattern: request.path,
      option: where,
      changed: after !== before,
      dryRun: opts.dryRun === true,
    });
    return 0;
  }
  if (after === before) {
    out.line(`${request.path} is in ${where} already`);
    return 0;
  }
  if (opts.dryRun) {
    out.line(`would add ${JSON.stringify(request.path)} to ${where} in ${opts.config}`);
    return 0;
  }
  addEntryToConfigFile(opts.config, request);
  out.line(`added ${JSON.stringify(request.path)} to ${where} in ${opts.config}`);
  return 0;
}
