// From the raw tree to the Model: reads every section, runs the cross-field rules and assembles
// the Model, collecting every problem instead of stopping at the first.

import type { Diagnostic, Model, Ownership, PersistEntry } from '../model/types.js';
import type { Accounts } from './accounts.js';
import { Builder } from './builder.js';
import type { Draft, OwnerDraft } from './draft.js';
import { homeState, toHomeFileSet } from './home-files.js';
import { LIMITS } from './limits.js';
import { readMetrics } from './metrics.js';
import type { LoadedConfig } from './raw.js';
import { Reporter } from './reporter.js';
import { runRules } from './rules.js';
import { readEphemeral, readSalvage } from './salvage.js';
import { map, readSection } from './sections.js';
import { location } from './system-location.js';
import { user, userHome } from './users.js';

export interface NormaliseOptions {
  /** Absolute path of the configuration file, for the Model. */
  configFile: string;
  verbose?: boolean;
}

export interface NormaliseResult {
  /** Absent when there are errors. */
  model: Model | undefined;
  /** Errors and warnings, in file order. */
  diagnostics: Diagnostic[];
  /** Every entry read, also when there are errors (where the account files are stored). */
  drafts: readonly Draft[];
}

function resolveOwnership(o: OwnerDraft, accounts: Accounts): Ownership {
  const uid = o.user === undefined ? undefined : accounts.uidOf(o.user.value);
  const gid = o.group === undefined ? undefined : accounts.gidOf(o.group.value);
  return {
    uid: uid ?? o.defaults.uid,
    gid: gid ?? o.defaults.gid,
    mode: o.mode ?? o.defaults.mode,
    explicit: {
      user: o.user !== undefined,
      group: o.group !== undefined,
      mode: o.mode !== undefined,
    },
  };
}

function toEntry(d: Draft, accounts: Accounts): PersistEntry {
  const entry: PersistEntry = {
    id: `${d.kind}:${d.target}`,
    kind: d.kind,
    target: d.target,
    store: d.store,
    storeRoot: d.storeRoot,
    method: d.method,
    owner: resolveOwnership(d.owner, accounts),
    parents: resolveOwnership(d.parents, accounts),
    hideMount: d.hideMount,
    allowTrash: d.allowTrash,
    adopt: d.adopt,
    source: d.source,
  };
  // A copy of its own for each entry, written out rather than spread (thousands of entries).
  const h = d.home;
  if (h !== undefined) entry.home = { user: h.user, uid: h.uid, gid: h.gid, path: h.path };
  return entry;
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  const la = a.source?.line ?? 0;
  const lb = b.source?.line ?? 0;
  if (la !== lb) return la - lb;
  return (a.source?.column ?? 0) - (b.source?.column ?? 0);
}

/**
 * The first LIMITS.diagnostics problems and a line that counts the rest: a file with thousands
 * of mistakes is a wrong file, and its first screen says what is wrong with it.
 */
function capped(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= LIMITS.diagnostics) return diagnostics;
  const shown = diagnostics.slice(0, LIMITS.diagnostics);
  const rest = diagnostics.length - shown.length;
  const errors = diagnostics.some((d) => d.severity === 'error');
  const last = shown.at(-1)?.source;
  shown.push({
    severity: errors ? 'error' : 'warning',
    code: 'more-problems',
    message: `${rest} more problem${rest === 1 ? '' : 's'} not shown (at most ${LIMITS.diagnostics} are listed)`,
    hint: 'fix the problems above, then check again',
    source: {
      file: last?.file ?? '',
      line: last?.line ?? 0,
      column: last?.column ?? 0,
      option: '',
    },
  });
  return shown;
}

/** Validate a loaded configuration and build the Model; every problem is collected. */
export function normalise(
  loaded: LoadedConfig,
  accounts: Accounts,
  options: NormaliseOptions,
): NormaliseResult {
  const r = new Reporter(loaded.file);
  const b = new Builder(r, accounts);
  const top = readSection(r, loaded.root, 'root', []);
  const metrics = top === undefined ? undefined : readMetrics(r, top);
  if (top !== undefined) {
    const users = map(top, 'users');
    for (const u of users?.entries ?? []) userHome(b, u.key, u.value);
    for (const l of map(top, 'persistence')?.entries ?? []) location(b, l.key, l.keyPos, l.value);
    for (const u of users?.entries ?? []) user(b, u.key, u.keyPos, u.value);
  }
  const stores = [...new Set(b.drafts.map((d) => d.storeRoot))].sort();
  r.diagnostics.push(...runRules({ drafts: b.drafts, accounts, stores }));
  const classic = new Set([...b.userStores.values()].flat());
  const systemStores = stores.filter((s) => !classic.has(s));
  const ephemeral = readEphemeral(r, top?.get('ephemeral')?.value);
  const salvage = readSalvage(r, top?.get('salvage')?.value, {
    first: b.drafts.map((d) => d.storeRoot).find((s) => !classic.has(s)),
    all: systemStores,
  });
  const diagnostics = capped([...loaded.diagnostics, ...r.diagnostics].sort(byPosition));
  const failed = diagnostics.some((d) => d.severity === 'error');
  if (!failed && b.drafts.length === 0 && b.homeFiles.length === 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'nothing-declared',
      message: '(top level): the configuration declares nothing to persist',
      hint: 'add a storage location under `persistence`, e.g. persistence."/persist".directories: [ "/var/log" ]',
      source: { file: loaded.file, line: 1, column: 1, option: '' },
    });
  }
  if (failed) return { model: undefined, diagnostics, drafts: b.drafts };
  const homeFiles = b.homeFiles.map((h) =>
    toHomeFileSet(h, homeState(h, b.userStores.get(h.user.user) ?? [], systemStores)),
  );
  for (const h of homeFiles) {
    if (h.state.from !== 'home') continue;
    const at = h.files[0]?.source ?? { file: loaded.file, line: 0, column: 0, option: '' };
    diagnostics.push({
      severity: 'warning',
      code: 'home-state-in-home',
      message: `users.${h.user.user}.files: the home-file generations are kept in ${h.state.path}, which a home on tmpfs loses at every boot (stale links are then not cleaned up)`,
      hint: `set users.${h.user.user}.homeStore to a persistent directory the user owns, or declare a persistence directory for the user`,
      source: at,
    });
  }
  return {
    model: {
      configFile: options.configFile,
      entries: b.drafts.map((d) => toEntry(d, accounts)),
      ...(homeFiles.length > 0 ? { homeFiles } : {}),
      ...(b.homeStores.length > 0 ? { homeStores: b.homeStores } : {}),
      stores,
      warnings: diagnostics.filter((d) => d.severity === 'warning'),
      verbose: options.verbose === true || b.verbose,
      showWarnings: b.showWarnings,
      ...(b.ignores.length > 0 ? { ignores: b.ignores } : {}),
      ...(metrics ? { metrics } : {}),
      ...(ephemeral.length > 0 ? { ephemeral } : {}),
      ...(salvage !== undefined ? { salvage } : {}),
    },
    diagnostics,
    drafts: b.drafts,
  };
}
