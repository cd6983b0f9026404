// What `keepsake add` (and `salvage add`) prints for people (its JSON records are built in
// the command): the lines a dry run would add and its steps, each step as it is taken, and
// where the path is now declared and what was moved.

import type { ActionOutcome } from '../apply/execute.js';
import { count } from '../core/text.js';
import { describeAction } from '../plan/format.js';
import type { Action, Adoption } from '../plan/types.js';
import type { Output } from './output.js';

/** Where in the configuration: `persistence."/persist".directories` and the like. */
export interface AddedAt {
  path: string;
  configFile: string;
  where: string;
}

export function printAddDryRun(
  out: Output,
  at: AddedAt,
  inserted: readonly string[],
  actions: readonly Action[],
): void {
  out.line(
    inserted.length > 0
      ? `would add to ${at.configFile} (${at.where}):`
      : `${at.path} is declared already`,
  );
  for (const l of inserted) out.line(out.paint('green', `  + ${l}`));
  for (const a of actions) out.line(`  would ${describeAction(a)}`);
}

/** One step as it is taken. */
export function printAddStep(out: Output, outcome: ActionOutcome): void {
  // A failure always says why; data kept beside the store's is always said (on stderr
  // with --quiet).
  const say =
    outcome.status === 'done' && !outcome.error && !outcome.notes ? out.line : out.trouble;
  say(
    `${outcome.status === 'done' ? out.paint('green', '✓') : out.paint('red', outcome.status)} ${describeAction(outcome.action)}`,
  );
  if (outcome.error) {
    const { message, hint } = outcome.error;
    out.trouble(out.paint('red', `    ${message}${hint ? `\n    hint: ${hint}` : ''}`));
  }
  for (const note of outcome.notes ?? []) out.trouble(out.paint('yellow', `    ${note}`));
}

/** `moved`: the data moved into the store, if any. */
export function printAdded(
  out: Output,
  at: AddedAt,
  ok: boolean,
  moved: Adoption | undefined,
): void {
  if (ok) {
    out.line(`${at.path} is persisted: declared in ${at.configFile} (${at.where})`);
    if (moved)
      out.line(
        `moved ${count(moved.files, 'file')} (${count(moved.bytes, 'byte')}) into ${moved.to}`,
      );
    return;
  }
  out.trouble(
    out.paint(
      'red',
      `the configuration now declares ${at.path}, but applying it failed (see above); run keepsake add ${at.path} again`,
    ),
  );
}
