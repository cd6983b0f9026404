// Checking a section of the configuration against the schema: unknown keys (with a guess at
// what was meant) and values of the wrong type; what passes is handed on as Fields.

import { MODE_FORMS } from './mode.js';
import { quoted } from './quoted.js';
import type { RawEntry, RawMap, RawNode, RawScalar, Segment } from './raw.js';
import { describe, isNull, type Reporter } from './reporter.js';
import {
  type OptionSpec,
  SCHEMA,
  type SectionId,
  type SectionSpec,
  section as sectionSpec,
} from './schema.js';
import { closest } from './suggest.js';

/** The accepted, well-typed options of a section (null values count as not set). */
export type Fields = Map<string, RawEntry>;

export function readSection(
  r: Reporter,
  node: RawNode,
  id: SectionId,
  segments: readonly Segment[],
): Fields | undefined {
  const spec = sectionSpec(id);
  if (isNull(node)) return new Map();
  if (node.kind !== 'map') {
    r.error(
      'wrong-type',
      segments,
      node.pos,
      `expected ${spec.noun} (a map of options), got ${describe(node)}`,
      `valid options here: ${spec.options.map((o) => o.name).join(', ')}`,
    );
    return undefined;
  }
  const fields: Fields = new Map();
  for (const entry of node.entries) {
    const opt = spec.options.find((o) => o.name === entry.key);
    if (opt === undefined) {
      unknownKey(r, spec, entry, segments);
      continue;
    }
    if (isNull(entry.value)) continue;
    if (checkType(r, opt, entry.value, [...segments, entry.key])) fields.set(entry.key, entry);
  }
  return fields;
}

const SPECIAL_HINTS: Record<string, Record<string, string>> = {
  root: {
    environment:
      'write the value of environment.persistence as the top-level `persistence` (drop `environment`)',
    home: "write Home Manager's home.persistence under users.<name>.persistence",
  },
};

function unknownKey(r: Reporter, spec: SectionSpec, entry: RawEntry, segments: readonly Segment[]) {
  const names = spec.options.map((o) => o.name);
  const at = [...segments, entry.key];
  const valid = `valid options here: ${names.join(', ')}`;
  const special = SPECIAL_HINTS[spec.id]?.[entry.key];
  if (special !== undefined) {
    r.error('unknown-key', at, entry.keyPos, `unknown option ${quoted(entry.key)}`, special);
    return;
  }
  const guess = closest(entry.key, names);
  if (guess !== undefined) {
    r.error(
      'unknown-key',
      at,
      entry.keyPos,
      `unknown option ${quoted(entry.key)}; did you mean \`${guess}\`?`,
      `rename it to \`${guess}\` (${valid})`,
    );
    return;
  }
  const elsewhere = SCHEMA.filter(
    (s) => s.id !== spec.id && s.options.some((o) => o.name === entry.key),
  );
  if (elsewhere.length > 0) {
    r.error(
      'unknown-key',
      at,
      entry.keyPos,
      `option \`${entry.key}\` is not accepted in ${spec.noun}; it belongs in ${elsewhere
        .map((s) => (s.path === '' ? 'the top level' : s.path.split('  ·  ')[0]))
        .join(' or ')}`,
      `move it there or remove it (${valid})`,
    );
    return;
  }
  r.error('unknown-key', at, entry.keyPos, `unknown option ${quoted(entry.key)}`, valid);
}

const PATH_EXAMPLES: Record<string, string> = {
  home: '"/home/jane"',
  persistentStoragePath: '"/persist"',
};

function checkType(r: Reporter, opt: OptionSpec, node: RawNode, at: Segment[]): boolean {
  const t = opt.type;
  const got = describe(node);
  const s = node.kind === 'scalar' ? node.value : undefined;
  switch (t.kind) {
    case 'boolean':
      if (typeof s === 'boolean') return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected true or false, got ${got}`,
        s === 'true' || s === 'false'
          ? `remove the quotes: ${opt.name}: ${s}`
          : `write ${opt.name}: true or ${opt.name}: false`,
      );
      return false;
    case 'string':
      if (typeof s === 'string') return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected a string, got ${got}`,
        `quote it: ${opt.name}: "${typeof s === 'number' || typeof s === 'boolean' ? String(s) : '...'}"`,
      );
      return false;
    case 'path':
      if (typeof s === 'string') return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected a path (a string), got ${got}`,
        `e.g. ${opt.name}: ${PATH_EXAMPLES[opt.name] ?? '"/var/lib/example"'}`,
      );
      return false;
    case 'mode':
      if (typeof s === 'string' || typeof s === 'number') return true;
      r.error('invalid-mode', at, node.pos, `expected a mode, got ${got}`, `write ${MODE_FORMS}`);
      return false;
    case 'account': {
      const noun = t.of === 'user' ? 'a user name or uid' : 'a group name or gid';
      if (typeof s === 'string' && s.trim() !== '') return true;
      if (typeof s === 'number' && Number.isInteger(s) && s >= 0) return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected ${noun}, got ${got}`,
        `e.g. ${opt.name}: ${t.of === 'user' ? 'root' : 'wheel'}`,
      );
      return false;
    }
    case 'enum': {
      if (typeof s === 'string' && t.values.includes(s)) return true;
      const choices = t.values.map((v) => quoted(v)).join(', ');
      const guess = typeof s === 'string' ? closest(s, t.values) : undefined;
      r.error(
        'invalid-value',
        at,
        node.pos,
        `${got} is not a valid ${opt.name}; valid choices: ${choices}${guess !== undefined ? `; did you mean ${quoted(guess)}?` : ''}`,
        `write ${opt.name}: ${guess ?? t.values[0]}`,
      );
      return false;
    }
    case 'entries':
      if (node.kind === 'seq') return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected a list of paths or entries, got ${got}`,
        typeof s === 'string'
          ? `write it as a list: ${opt.name}: [ ${quoted(s)} ]`
          : `write a list, e.g. ${opt.name}: [ "/var/log" ]`,
      );
      return false;
    case 'patterns':
      if (node.kind === 'seq') return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected a list of patterns, got ${got}`,
        typeof s === 'string'
          ? `write it as a list: ${opt.name}: [ ${quoted(s)} ]`
          : `write a list, e.g. ${opt.name}: [ "/var/lib/example/cache/" ]`,
      );
      return false;
    case 'paths':
      if (node.kind === 'seq') return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected a list of absolute paths, got ${got}`,
        typeof s === 'string'
          ? `write it as a list: ${opt.name}: [ ${quoted(s)} ]`
          : `write a list, e.g. ${opt.name}: [ / ]`,
      );
      return false;
    case 'size':
    case 'duration':
    case 'count':
      // The value itself is read, and reported with its fix, where the section is built.
      if (typeof s === 'string' || typeof s === 'number') return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected ${t.kind === 'size' ? 'a size' : t.kind === 'duration' ? 'a duration' : 'a whole number'}, got ${got}`,
        `e.g. ${opt.name}: ${t.kind === 'size' ? '256M' : t.kind === 'duration' ? '30s' : '5'}`,
      );
      return false;
    case 'section':
    case 'mapOf':
      if (node.kind === 'map') return true;
      r.error(
        'wrong-type',
        at,
        node.pos,
        `expected a map, got ${got}`,
        t.kind === 'mapOf'
          ? `write ${opt.name} as a map keyed by ${t.key}`
          : 'write a map of options',
      );
      return false;
  }
}

/** The value of a boolean option, when set. */
export function bool(fields: Fields | undefined, name: string): boolean | undefined {
  const v = fields?.get(name)?.value;
  return v?.kind === 'scalar' && typeof v.value === 'boolean' ? v.value : undefined;
}

/** The value of a string option and its node, when set. */
export function str(
  fields: Fields | undefined,
  name: string,
): { value: string; node: RawScalar } | undefined {
  const v = fields?.get(name)?.value;
  return v?.kind === 'scalar' && typeof v.value === 'string'
    ? { value: v.value, node: v }
    : undefined;
}

/** The value of a map option, when set. */
export function map(fields: Fields | undefined, name: string): RawMap | undefined {
  const v = fields?.get(name)?.value;
  return v?.kind === 'map' ? v : undefined;
}
