// Every JSON value keepsake prints at top level is a record: its first two keys say what it
// is ("record") and which shape of it ("version"), so a script can tell what it reads and
// refuse a shape it does not know. The shapes are kept here as data, and published by
// `keepsake schema --records`. A field added keeps the version; a field removed, renamed or
// given another meaning bumps it.

import { type Action, PLAN_VERSION } from '../plan/types.js';
import { recordLineOf } from './record-line.js';

/** The subset of JSON Schema the records use (and the test suite's validator reads). */
export interface Schema {
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
  enum?: readonly (string | number | boolean | null)[];
  const?: string | number | boolean | null;
}
type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const obj: Schema = { type: 'object' };
const arr = (items: Schema = obj): Schema => ({ type: 'array', items });
const oneOf = (...values: string[]): Schema => ({ type: 'string', enum: values });
const counted: Schema = {
  type: 'object',
  properties: { files: int, bytes: int },
  required: ['files', 'bytes'],
};
const strings = arr(str);

interface Definition {
  version: number;
  description: string;
  fields: Record<string, Schema>;
  required: string[];
}

// One action of a plan as it was carried out (apply, add, rollback).
const actionEvent = (what: string): Definition => ({
  version: 1,
  description: `one action of ${what}, printed as it finishes`,
  fields: {
    event: { const: 'action' },
    index: int,
    status: oneOf('done', 'failed', 'skipped', 'undone', 'undo-failed'),
    action: obj,
    error: {
      type: 'object',
      properties: { message: str, hint: str },
      required: ['message'],
    },
    notes: strings,
  },
  required: ['event', 'index', 'status', 'action'],
});

const RECORD_DEFINITIONS = {
  error: {
    version: 1,
    description: 'a failure: the command stopped; its exit status is 1 or 2',
    fields: {
      error: { type: 'string', description: 'the error class, e.g. config-invalid, refused' },
      message: str,
      hint: str,
      diagnostics: arr(),
      problems: arr(),
    },
    required: ['error', 'message'],
  },
  plan: {
    version: PLAN_VERSION,
    description: 'keepsake plan: what apply would do, and what it would refuse',
    fields: {
      root: str,
      configFile: str,
      previousGeneration: int,
      entries: arr(),
      released: arr(),
      adopted: arr(),
      actions: arr(),
      setupFrom: int,
      problems: arr(),
      skipped: arr(),
      warnings: arr(),
    },
    required: ['root', 'configFile', 'entries', 'released', 'adopted', 'actions', 'problems'],
  },
  'apply.event': actionEvent('apply (and rollback)'),
  'apply.result': {
    version: 1,
    description: 'apply (and rollback): the last record, the outcome as a whole',
    fields: {
      event: { const: 'result' },
      ok: bool,
      dryRun: bool,
      actions: int,
      entries: int,
      generation: int,
      released: arr(),
      adopted: arr(),
      recorded: strings,
      notRecorded: strings,
      skipped: arr(),
    },
    required: ['event', 'ok', 'dryRun', 'actions', 'entries', 'released', 'adopted', 'recorded'],
  },
  status: {
    version: 1,
    description: 'keepsake status: every entry as declared against the live system',
    fields: {
      ok: bool,
      entries: arr(),
      stale: arr(),
      problems: arr(),
      lastSkipped: arr(),
      salvage: obj,
    },
    required: ['ok', 'entries', 'stale', 'problems', 'lastSkipped'],
  },
  check: {
    version: 1,
    description: 'keepsake check: the configuration file, and with --root the problems there',
    fields: {
      ok: bool,
      entries: int,
      stores: strings,
      warnings: arr(),
      root: str,
      problems: arr(),
    },
    required: ['ok', 'entries', 'stores', 'warnings'],
  },
  'diff.escaped': {
    version: 1,
    description: 'keepsake diff: an entry whose bind mount or link was replaced by data',
    fields: {
      type: { const: 'escaped' },
      target: str,
      store: str,
      kind: oneOf('directory', 'file'),
      reason: oneOf('not-mounted', 'link-replaced', 'not-applied'),
      found: str,
      files: int,
      bytes: int,
      changed: int,
      fix: str,
    },
    required: ['type', 'target', 'store', 'kind', 'reason', 'found', 'fix'],
  },
  'diff.path': {
    version: 1,
    description: 'keepsake diff: a path on the ephemeral file systems that is not declared',
    fields: {
      type: { const: 'path' },
      depth: int,
      path: str,
      pathBase64: str,
      kind: str,
      files: int,
      directories: int,
      bytes: int,
      changed: int,
      newestMs: { type: 'number' },
      whole: bool,
      ignored: str,
      unreadable: str,
      unlisted: counted,
      add: { type: 'string', description: 'the keepsake add command that keeps it' },
    },
    required: ['type', 'depth', 'path', 'kind', 'files', 'directories', 'bytes', 'whole'],
  },
  'diff.skipped': {
    version: 1,
    description: 'keepsake diff: another file system met and not entered',
    fields: { type: { const: 'skipped' }, path: str, fsType: str },
    required: ['type', 'path', 'fsType'],
  },
  'diff.error': {
    version: 1,
    description: 'keepsake diff: a path that could not be read',
    fields: { type: { const: 'error' }, path: str, reason: str },
    required: ['type', 'path', 'reason'],
  },
  'diff.summary': {
    version: 1,
    description: 'keepsake diff: the last record, the totals',
    fields: {
      type: { const: 'summary' },
      bootTime: str,
      files: int,
      bytes: int,
      ephemeral: arr(),
      persistent: arr(),
      escaped: int,
      ignored: counted,
      backend: str,
    },
    required: ['type', 'bootTime', 'files', 'bytes', 'escaped', 'ignored'],
  },
  'diff.salvage': {
    version: 1,
    description:
      "keepsake diff: what the next shutdown's salvage would keep and leave, with salvage enabled (before the summary)",
    fields: {
      type: { const: 'salvage' },
      keeps: obj,
      over: obj,
      maxBytes: int,
      unusable: int,
    },
    required: ['type', 'keeps', 'over', 'maxBytes', 'unusable'],
  },
  'salvage.run': {
    version: 1,
    description:
      'keepsake salvage run: the salvage record as written (see docs/salvage.md), with its directory and the boots expired',
    fields: {
      boot: str,
      bootId: str,
      startedAt: str,
      finishedAt: { type: ['string', 'null'] },
      complete: bool,
      bytes: int,
      files: arr(),
      skipped: arr(),
      dir: str,
      expired: strings,
    },
    required: ['boot', 'complete', 'bytes', 'files', 'skipped', 'dir', 'expired'],
  },
  'salvage.list': {
    version: 1,
    description:
      'keepsake salvage list: every boot salvaged, each with its salvage record (null when unreadable)',
    fields: { salvages: arr() },
    required: ['salvages'],
  },
  'salvage.boot': {
    version: 1,
    description: 'keepsake salvage list BOOT: one boot and its salvage record',
    fields: { boot: str, salvage: { type: ['object', 'null'] }, problem: str },
    required: ['boot', 'salvage'],
  },
  'salvage.restore': {
    version: 1,
    description: 'keepsake salvage restore: one file or link put back',
    fields: { restored: str, from: str, file: str },
    required: ['restored', 'from', 'file'],
  },
  metrics: {
    version: 1,
    description:
      'keepsake metrics: the figures of keepsake.prom (entries, last apply, skipped, salvaged, and the walked figures when the tree was walked)',
    fields: {
      entries: obj,
      live: obj,
      skipped: int,
      lastApply: obj,
      salvagedBytes: int,
      walked: obj,
    },
    required: ['entries', 'live', 'skipped', 'salvagedBytes'],
  },
  orphans: {
    version: 1,
    description: 'keepsake orphans: store data no entry refers to',
    fields: { orphans: arr() },
    required: ['orphans'],
  },
  prune: {
    version: 1,
    description:
      'keepsake prune: what was deleted; or, with nothing deleted, what was refused or would be',
    fields: {
      ok: bool,
      deleted: arr(),
      refused: arr(),
      dryRun: bool,
      wouldDelete: arr(),
      failed: arr(),
      kept: arr(),
      hint: str,
      totals: {
        type: 'object',
        properties: { paths: int, files: int, directories: int, bytes: int },
        required: ['paths', 'files', 'directories', 'bytes'],
      },
    },
    required: ['ok'],
  },
  'add.plan': {
    version: 1,
    description: 'keepsake add --dry-run: the lines it would add and the plan',
    fields: { dryRun: { const: true }, request: obj, configLines: strings, plan: obj },
    required: ['dryRun', 'request', 'configLines', 'plan'],
  },
  'add.event': actionEvent('add'),
  'add.result': {
    version: 1,
    description: 'keepsake add: the last record',
    fields: {
      event: { const: 'result' },
      ok: bool,
      request: obj,
      configLines: strings,
      adopted: arr(),
      generation: int,
    },
    required: ['event', 'ok', 'request', 'configLines', 'adopted'],
  },
  ignore: {
    version: 1,
    description: 'keepsake ignore: the pattern and where it went',
    fields: { pattern: str, option: str, changed: bool, dryRun: bool },
    required: ['pattern', 'option', 'changed', 'dryRun'],
  },
  generations: {
    version: 1,
    description: 'keepsake generations: the generations in the stores',
    fields: { live: { type: ['integer', 'null'] }, generations: arr() },
    required: ['live', 'generations'],
  },
  'generations.diff': {
    version: 1,
    description: 'keepsake diff-generations: entries added, removed and changed',
    fields: { from: int, to: int, added: arr(), removed: arr(), changed: arr() },
    required: ['from', 'to', 'added', 'removed', 'changed'],
  },
  'release.plan': {
    version: 1,
    description: 'keepsake release --dry-run: what would be unmounted',
    fields: { root: str, generation: int, unmounts: arr(), utab: strings, left: arr() },
    required: ['root', 'generation', 'unmounts', 'utab', 'left'],
  },
  'release.event': {
    version: 1,
    description: 'keepsake release: one unmount, printed as it finishes',
    fields: {
      event: { const: 'unmount' },
      target: str,
      status: oneOf('unmounted', 'detached', 'already-gone', 'failed'),
      error: str,
    },
    required: ['event', 'target', 'status'],
  },
  'release.result': {
    version: 1,
    description: 'keepsake release: the last record',
    fields: { event: { const: 'result' }, ok: bool, generation: int, released: int, left: arr() },
    required: ['event', 'ok', 'released'],
  },
  compile: {
    version: 1,
    description: 'keepsake compile: the units written',
    fields: {
      ok: bool,
      outdir: str,
      initrd: bool,
      units: int,
      files: arr({
        type: 'object',
        properties: { path: str, symlink: str },
        required: ['path'],
      }),
      warnings: arr(),
    },
    required: ['ok', 'outdir', 'initrd', 'units', 'files', 'warnings'],
  },
  'install-service': {
    version: 1,
    description: 'keepsake install-service: the files written (--dry-run: that would be)',
    fields: {
      ok: bool,
      dryRun: bool,
      unitDir: str,
      unit: str,
      files: arr({ type: ['object', 'string'] }),
      bin: str,
      config: str,
      warnings: arr(),
    },
    required: ['ok', 'files', 'bin', 'config'],
  },
  init: {
    version: 1,
    description: 'keepsake init: the starter configuration, and the file it was written to',
    fields: { config: str, output: str },
    required: ['config'],
  },
  'home.apply.event': {
    version: 1,
    description: 'keepsake home apply (and home rollback): one action, printed as it finishes',
    fields: {
      event: { const: 'action' },
      action: obj,
      status: oneOf('done', 'skipped', 'failed'),
      note: str,
    },
    required: ['event', 'action', 'status'],
  },
  'home.apply.result': {
    version: 1,
    description: "keepsake home apply (and home rollback): one user's outcome",
    fields: {
      event: { const: 'result' },
      user: str,
      dryRun: bool,
      ok: bool,
      plan: obj,
      contentProblems: arr(),
      generation: int,
      onChange: arr(),
    },
    required: ['event', 'user', 'dryRun', 'ok', 'contentProblems', 'onChange'],
  },
  'home.generations': {
    version: 1,
    description: "keepsake home generations: one user's home generations",
    fields: {
      user: str,
      store: str,
      current: { type: ['integer', 'null'] },
      generations: arr(),
    },
    required: ['user', 'store', 'current', 'generations'],
  },
  'home.expire': {
    version: 1,
    description: "keepsake home expire: one user's deleted home generations",
    fields: { user: str, deleted: arr(int) },
    required: ['user', 'deleted'],
  },
} satisfies Record<string, Definition>;

export type RecordName = keyof typeof RECORD_DEFINITIONS;

export interface RecordType {
  record: RecordName;
  version: number;
  description: string;
  schema: Schema;
}

/** The version each record is printed with. */
export function recordVersion(name: RecordName): number {
  return RECORD_DEFINITIONS[name].version;
}

/** One record as its line of JSON text (without the newline). */
export function recordLine(name: RecordName, value: object): string {
  return recordLineOf(name, recordVersion(name), value);
}

/** Every record type, with the JSON Schema of the whole value as printed. */
export function recordTypes(): RecordType[] {
  return Object.entries(RECORD_DEFINITIONS).map(([name, d]: [string, Definition]) => ({
    record: name as RecordName,
    version: d.version,
    description: d.description,
    schema: {
      type: 'object',
      description: d.description,
      properties: { record: { const: name }, version: { const: d.version }, ...d.fields },
      // Open to fields added later (they keep the version); the test suite still holds
      // keepsake to printing no field that is not listed here.
      required: ['record', 'version', ...d.required],
    },
  }));
}

/** One step of an apply or an add, as its `*.event` record carries it. */
export function actionRecord(outcome: {
  index: number;
  status: string;
  action: object;
  error?: unknown;
  notes?: readonly string[];
}): object {
  return {
    event: 'action',
    index: outcome.index,
    status: outcome.status,
    action: outcome.action,
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.notes ? { notes: outcome.notes } : {}),
  };
}

/** The start of every action line of `name`, up to its index. */
const lineStarts = new Map<RecordName, string>();

/**
 * One step's `*.event` record as its line of JSON text: byte for byte
 * `JSON.stringify({ record: name, version, ...actionRecord(outcome) })`, built from a template
 * and the action's own text, instead of two new objects and a stringify of the whole for each
 * of tens of thousands of steps.
 */
export function actionLine(
  name: 'apply.event' | 'add.event',
  outcome: {
    index: number;
    status: string;
    action: Action;
    error?: unknown;
    notes?: readonly string[];
  },
): string {
  let start = lineStarts.get(name);
  if (start === undefined) {
    start = `{"record":${JSON.stringify(name)},"version":${JSON.stringify(recordVersion(name))},"event":"action","index":`;
    lineStarts.set(name, start);
  }
  let line = `${start}${JSON.stringify(outcome.index)},"status":${JSON.stringify(outcome.status)},"action":${JSON.stringify(outcome.action)}`;
  // The same tests as actionRecord's spreads: a key only for a value that is there.
  if (outcome.error) line += `,"error":${JSON.stringify(outcome.error)}`;
  if (outcome.notes) line += `,"notes":${JSON.stringify(outcome.notes)}`;
  return `${line}}`;
}
