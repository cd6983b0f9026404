// The top-level `ephemeral` list and `salvage` map: read, checked and reported with their
// position and fix like every other option, before anything acts on them.

import type { EphemeralPath, SalvageSettings } from '../model/types.js';
import { readIgnores } from './ignores.js';
import { parseDurationValue, parseSizeValue } from './quantities.js';
import type { RawNode, Segment } from './raw.js';
import { describe, type Reporter } from './reporter.js';
import { bool, type Fields, readSection } from './sections.js';
import { absolutePath } from './values.js';

export const SALVAGE_DEFAULTS = {
  enable: false,
  maxBytes: 256 * 2 ** 20,
  keepBoots: 5,
  timeoutMs: 30_000,
} as const;

/** `ephemeral: [ / ]`. */
export function readEphemeral(r: Reporter, node: RawNode | undefined): EphemeralPath[] {
  if (node === undefined || node.kind !== 'seq') return [];
  const out: EphemeralPath[] = [];
  node.items.forEach((item, index) => {
    const at: Segment[] = ['ephemeral', index];
    if (item.kind !== 'scalar' || typeof item.value !== 'string') {
      r.error(
        'wrong-type',
        at,
        item.pos,
        `expected an absolute path, got ${describe(item)}`,
        'write a path, e.g. ephemeral: [ / ]',
      );
      return;
    }
    // Unlike an entry, the whole root can be rolled back: `/` is the usual value.
    const path = /^\s*\/+\s*$/.test(item.value) ? '/' : absolutePath(r, item.value, at, item.pos);
    if (path !== undefined) out.push({ path, source: r.source(at, item.pos) });
  });
  return out;
}

/** The settings of a `salvage` map, or undefined when it is not there or not valid. */
export function readSalvage(
  r: Reporter,
  node: RawNode | undefined,
  stores: { first: string | undefined; all: readonly string[] },
): SalvageSettings | undefined {
  if (node === undefined) return undefined;
  const at: Segment[] = ['salvage'];
  const fields = readSection(r, node, 'salvage', at);
  if (fields === undefined) return undefined;
  const errors = r.diagnostics.length;
  const maxBytes = quantity(r, fields, 'maxBytes', parseSizeValue, {
    what: 'a size',
    fix: 'write a number of bytes or one with K, M or G: maxBytes: 256M',
  });
  const timeoutMs = quantity(r, fields, 'timeout', parseDurationValue, {
    what: 'a duration of at least one second',
    fix: 'write seconds, or minutes with m: timeout: 30s',
  });
  const keepBoots = quantity(
    r,
    fields,
    'keepBoots',
    (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : undefined),
    { what: 'a whole number of at least 1', fix: 'e.g. keepBoots: 5' },
  );
  const store = storeOf(r, fields, stores);
  const ignores = readIgnores(r, fields, at, '/');
  if (r.diagnostics.slice(errors).some((d) => d.severity === 'error') || store === undefined)
    return undefined;
  return {
    enable: bool(fields, 'enable') ?? SALVAGE_DEFAULTS.enable,
    maxBytes: maxBytes ?? SALVAGE_DEFAULTS.maxBytes,
    keepBoots: keepBoots ?? SALVAGE_DEFAULTS.keepBoots,
    store,
    timeoutMs: timeoutMs ?? SALVAGE_DEFAULTS.timeoutMs,
    ignores,
  };
}

function quantity(
  r: Reporter,
  fields: Fields,
  name: string,
  parse: (v: string | number) => number | undefined,
  say: { what: string; fix: string },
): number | undefined {
  const entry = fields.get(name);
  const v = entry?.value;
  if (entry === undefined || v?.kind !== 'scalar') return undefined;
  const value = v.value;
  const n = typeof value === 'string' || typeof value === 'number' ? parse(value) : undefined;
  if (n === undefined)
    r.error(
      'invalid-value',
      ['salvage', name],
      v.pos,
      `${describe(v)} is not ${say.what}`,
      say.fix,
    );
  return n;
}

function storeOf(
  r: Reporter,
  fields: Fields,
  stores: { first: string | undefined; all: readonly string[] },
): string | undefined {
  const entry = fields.get('store');
  const v = entry?.value;
  if (v === undefined || v.kind !== 'scalar' || typeof v.value !== 'string') {
    if (stores.first !== undefined) return stores.first;
    if (bool(fields, 'enable') === true) {
      r.error(
        'salvage-no-store',
        ['salvage', 'enable'],
        fields.get('enable')!.value.pos,
        'salvage needs a storage location to keep its copies in, and the configuration has none',
        'declare one under persistence (e.g. persistence: { /persist: {} }), or set enable: false',
      );
    }
    return undefined;
  }
  const path = absolutePath(r, v.value, ['salvage', 'store'], v.pos);
  if (path === undefined) return undefined;
  if (stores.all.includes(path)) return path;
  r.error(
    'unknown-store',
    ['salvage', 'store'],
    v.pos,
    `${describe(v)} is not one of the configuration's storage locations`,
    stores.all.length > 0
      ? `write one of: ${stores.all.join(', ')}`
      : 'declare the location under persistence first',
  );
  return undefined;
}
