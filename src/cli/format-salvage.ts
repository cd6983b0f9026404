// What `keepsake salvage run` prints for people (its JSON record is built in the command):
// what was copied where, what was skipped and the first few reasons that stopped a copy,
// what expired, and a partial salvage said loudly.

import { count, formatBytes } from '../core/text.js';
import type { SalvageOutcome } from '../salvage/run.js';
import type { Output } from './output.js';

export function printSalvaged(out: Output, outcome: SalvageOutcome): void {
  const r = outcome.record;
  out.line(
    `salvaged ${count(r.files.length, 'file')} (${formatBytes(r.bytes)}) into ${outcome.dir}`,
  );
  const stopped = r.skipped.filter((s) =>
    /ran out of time|store is|kept changing|removed/.test(s.reason),
  );
  if (r.skipped.length > 0)
    out.line(
      `skipped ${count(r.skipped.length, 'file')} (keepsake salvage list ${r.boot} says why)`,
    );
  for (const s of stopped.slice(0, 5)) out.line(out.paint('yellow', `  ${s.path}: ${s.reason}`));
  for (const e of outcome.expired) out.line(`expired the salvage of ${e}`);
  if (!r.complete)
    out.line(out.paint('red', 'the salvage is PARTIAL: it stopped before every file was copied'));
}
