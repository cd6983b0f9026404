// What `keepsake orphans` prints for people (its JSON record is built in the command): the
// stores it could not scan and why, each store's orphans largest first, why one cannot be
// pruned, and the prune command that deletes the rest.

import { count, formatBytes } from '../core/text.js';
import { byStore, describeOrphan } from '../orphans/format.js';
import type { Survey } from '../orphans/survey.js';
import type { Output } from './output.js';

const STATE: Record<string, string> = {
  missing: 'does not exist',
  symlink: 'is a symbolic link, which keepsake does not follow',
  'not-directory': 'is not a directory',
};

export function printOrphans(out: Output, { listing, orphans }: Survey, stores: string[]): void {
  for (const scan of listing.stores) {
    const state = STATE[scan.state];
    if (state) out.line(out.paint('dim', `${scan.store} ${state}: nothing to scan`));
    for (const s of scan.skipped) {
      out.line(out.paint('dim', `${s.path} not scanned: ${s.reason}`));
    }
  }
  if (orphans.length === 0) {
    out.line(out.paint('green', `no orphaned data in ${stores.join(', ')}`));
    return;
  }
  for (const [store, list] of byStore(orphans)) {
    const bytes = list.reduce((n, o) => n + o.bytes, 0);
    out.line(out.paint('bold', `${store}: ${count(list.length, 'orphan')}, ${formatBytes(bytes)}`));
    for (const o of list) {
      out.line(`  ${describeOrphan(o)}`);
      if (!o.prunable) out.line(out.paint('yellow', `      not prunable: ${o.reason}`));
    }
  }
  const prunable = orphans.filter((o) => o.prunable);
  const bytes = prunable.reduce((n, o) => n + o.bytes, 0);
  out.line(
    prunable.length === 0
      ? 'none of them can be pruned by keepsake (see the reasons above)'
      : `to delete them: keepsake prune PATH... --yes (with no PATH: the ${count(prunable.length, 'prunable orphan')}, ${formatBytes(bytes)})`,
  );
}
