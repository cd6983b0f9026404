// What an apply reports at its end, built in one place for both ways an apply can end: after
// planning (commands/apply.ts) and settled, without planning (settled.ts), so that the two
// say the same in the same bytes.

/** The `apply.result` record's value (key order is part of the format). */
export function applyResultValue(r: {
  ok: boolean;
  dryRun: boolean;
  actions: number;
  entries: number;
  generation?: number;
  released: readonly unknown[];
  adopted: readonly unknown[];
  recorded: readonly string[];
  notRecorded?: readonly string[];
  /** `--keep-going` only: the entries left out (none is `[]`). */
  skipped?: readonly unknown[];
}): object {
  return {
    event: 'result',
    ok: r.ok,
    dryRun: r.dryRun,
    actions: r.actions,
    entries: r.entries,
    ...(r.generation !== undefined ? { generation: r.generation } : {}),
    released: r.released,
    adopted: r.adopted,
    recorded: r.recorded,
    ...(r.notRecorded && r.notRecorded.length > 0 ? { notRecorded: r.notRecorded } : {}),
    ...(r.skipped ? { skipped: r.skipped } : {}),
  };
}

/** The last line of a text report when every entry was already in place. */
export function nothingToDo(entries: number): string {
  return entries === 1
    ? 'nothing to do: the 1 entry is in place'
    : `nothing to do: all ${entries} entries in place`;
}
