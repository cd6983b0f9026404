// What compiled mode cannot write (paths and names a unit file cannot hold), and what it does
// differently from `keepsake apply` for a configuration. Pure: diagnostics for the model.

import type { Diagnostic, Model, PersistEntry } from '../model/types.js';
import { UNIT_NAME_MAX, unitNameForPath, unitValueProblem } from './escape.js';
import type { Layout } from './layout.js';
import { MACHINE_ID } from './machine-id.js';
import { isHostKey, persistedHostKeys } from './ssh-keys.js';
import type { CompileOptions, StoreDevice } from './types.js';
import type { Stage } from './units.js';

/**
 * The unit that checks a bind's target before the bind (`keepsake-check-var-lib-app.service`
 * for `var-lib-app.mount`), or undefined for /etc/machine-id: systemd's own id is bound there
 * at every boot before any unit runs, and the stored one is meant to replace it.
 */
export function checkUnitFor(e: PersistEntry, where: string): string | undefined {
  if (e.target === MACHINE_ID) return undefined;
  return `keepsake-check-${unitNameForPath(where).slice(0, -'.mount'.length)}.service`;
}

/** Paths and names a unit file cannot hold; each with the entry's place in the configuration. */
export function checkRepresentable(
  model: Model,
  layout: Layout,
  stage: Stage,
  devices: StoreDevice[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const names = new Map<string, string>();
  const name = (path: string, owner: string, source?: PersistEntry['source']) => {
    const unit = unitNameForPath(path);
    const problem =
      unit.length > UNIT_NAME_MAX
        ? `its mount unit's name would be ${unit.length} characters long; systemd takes at most ${UNIT_NAME_MAX}`
        : names.has(unit)
          ? `its mount unit ${unit} is also the unit of ${names.get(unit)}`
          : undefined;
    names.set(unit, owner);
    if (problem)
      out.push({
        severity: 'error',
        code: 'compile-unit-name',
        message: `${owner}: ${problem}`,
        hint: 'use a shorter path, or keepsake apply (service mode) for this configuration',
        ...(source ? { source } : {}),
      });
  };
  const value = (path: string, what: string, source?: PersistEntry['source']) => {
    const problem = unitValueProblem(path);
    if (problem)
      out.push({
        severity: 'error',
        code: 'compile-path',
        message: `${what} ${JSON.stringify(path)} cannot be written in a unit file: ${problem}`,
        hint: 'rename it, or use keepsake apply (service mode) for this configuration',
        ...(source ? { source } : {}),
      });
  };
  for (const d of devices) name(stage.at(d.store), `the store ${d.store}`);
  for (const s of model.stores) value(s, 'the store');
  for (const e of layout.binds) {
    value(e.store, 'the stored path', e.source);
    value(layout.mountPoint(e), 'the target', e.source);
    name(stage.at(layout.mountPoint(e)), e.target, e.source);
    const check = checkUnitFor(e, stage.at(layout.mountPoint(e)));
    if (check && check.length > UNIT_NAME_MAX)
      out.push({
        severity: 'error',
        code: 'compile-unit-name',
        message: `${e.target}: the unit that checks its target would be named with ${check.length} characters; systemd takes at most ${UNIT_NAME_MAX}`,
        hint: 'use a shorter path, or keepsake apply (service mode) for this configuration',
        source: e.source,
      });
  }
  return out;
}

export function warningsFor(model: Model, layout: Layout, options: CompileOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const adopting = model.entries.filter((e) => e.adopt);
  if (adopting.length > 0)
    out.push({
      severity: 'warning',
      code: 'compile-no-adoption',
      message: `${adopting.length} ${adopting.length === 1 ? 'entry asks' : 'entries ask'} for adoption (adopt): compiled units do not move data found at a target into the store; such an entry is not bound (its check unit fails, naming it) until the data is moved`,
      hint: 'run `keepsake apply --adopt` once on the running system to move such data',
    });
  if (layout.binds.some((e) => e.kind === 'file' && e.target !== MACHINE_ID && !isHostKey(e)))
    out.push({
      severity: 'warning',
      code: 'compile-file-created-empty',
      message:
        'a stored file that does not exist yet is created empty and bound; apply instead links the target into the store until the program has written it',
    });
  if (!options.initrd && layout.binds.some((e) => e.target === MACHINE_ID))
    out.push({
      severity: 'warning',
      code: 'compile-machine-id-late',
      message:
        'systemd binds its own /etc/machine-id before any unit of the booted system runs: it is not bound from the store (the id of the first boot is copied there); only units in the initrd can bind it',
      hint: 'compile with --initrd and add the units to the initrd',
    });
  const keyStore = persistedHostKeys(model)[0]?.storeRoot;
  if (options.initrd && keyStore !== undefined)
    out.push({
      severity: 'warning',
      code: 'compile-ssh-keys-initrd',
      message:
        'SSH host keys are persisted, but the initrd has no ssh-keygen to make missing ones: a missing or empty key is not bound (keepsake status reports it)',
      hint: `make the keys in the store once: mkdir -p ${keyStore}/etc/ssh && ssh-keygen -A -f ${keyStore} (the prepare service makes the directory at boot); or also compile without --initrd and install keepsake-ssh-host-keys.service from it into the booted system`,
    });
  return out;
}
