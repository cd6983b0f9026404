// From the raw tree to the Model: checks every key and value against the schema, applies
// impermanence's semantics (system locations, users in a location, Home Manager's classic
// layout), runs the cross-field rules, and collects every problem instead of stopping at the
// first.

import type {
  Diagnostic,
  HomeRef,
  Method,
  Model,
  Ownership,
  PersistEntry,
  SourceRef,
} from '../model/types.js';
import type { Accounts } from './accounts.js';
import type { AccountRef, Draft, OwnerDraft } from './draft.js';
import type { LoadedConfig, Position, RawEntry, RawMap, RawNode, RawScalar } from './load.js';
import { MODE_FORMS, parseMode } from './mode.js';
import { joinPath, normaliseAbsolute, normaliseRelative } from './paths.js';
import { runRules } from './rules.js';
import {
  type OptionSpec,
  SCHEMA,
  type SectionId,
  type SectionSpec,
  section as sectionSpec,
} from './schema.js';
import { closest } from './suggest.js';

export type Segment = string | number;

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
}

/** `persistence."/persist".directories[3]`. */
export function optionPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else {
      const key = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? s : JSON.stringify(s);
      out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}

class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly file: string) {}

  source(segments: readonly Segment[], pos: Position): SourceRef {
    return { file: this.file, line: pos.line, column: pos.column, option: optionPath(segments) };
  }

  report(
    severity: 'error' | 'warning',
    code: string,
    segments: readonly Segment[],
    pos: Position,
    message: string,
    hint?: string,
  ): void {
    const path = optionPath(segments);
    const d: Diagnostic = {
      severity,
      code,
      message: `${path === '' ? '(top level)' : path}: ${message}`,
      source: this.source(segments, pos),
    };
    if (hint !== undefined) d.hint = hint;
    this.diagnostics.push(d);
  }

  error(code: string, segments: readonly Segment[], pos: Position, message: string, hint?: string) {
    this.report('error', code, segments, pos, message, hint);
  }

  warn(code: string, segments: readonly Segment[], pos: Position, message: string, hint?: string) {
    this.report('warning', code, segments, pos, message, hint);
  }
}

function describe(node: RawNode): string {
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing';
  if (typeof node.value === 'string') return JSON.stringify(node.value);
  return node.text ?? String(node.value);
}

const isNull = (node: RawNode): boolean => node.kind === 'scalar' && node.value === null;

// ---------------------------------------------------------------------------------------
// Sections: keys and value types, straight from the schema

/** The accepted, well-typed options of a section (null values count as not set). */
type Fields = Map<string, RawEntry>;

function readSection(
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
    r.error(
      'unknown-key',
      at,
      entry.keyPos,
      `unknown option ${JSON.stringify(entry.key)}`,
      special,
    );
    return;
  }
  const guess = closest(entry.key, names);
  if (guess !== undefined) {
    r.error(
      'unknown-key',
      at,
      entry.keyPos,
      `unknown option ${JSON.stringify(entry.key)}; did you mean \`${guess}\`?`,
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
  r.error('unknown-key', at, entry.keyPos, `unknown option ${JSON.stringify(entry.key)}`, valid);
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
      const choices = t.values.map((v) => JSON.stringify(v)).join(', ');
      const guess = typeof s === 'string' ? closest(s, t.values) : undefined;
      r.error(
        'invalid-value',
        at,
        node.pos,
        `${got} is not a valid ${opt.name}; valid choices: ${choices}${guess !== undefined ? `; did you mean ${JSON.stringify(guess)}?` : ''}`,
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
          ? `write it as a list: ${opt.name}: [ ${JSON.stringify(s)} ]`
          : `write a list, e.g. ${opt.name}: [ "/var/log" ]`,
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

function bool(fields: Fields | undefined, name: string): boolean | undefined {
  const v = fields?.get(name)?.value;
  return v?.kind === 'scalar' && typeof v.value === 'boolean' ? v.value : undefined;
}

function str(
  fields: Fields | undefined,
  name: string,
): { value: string; node: RawScalar } | undefined {
  const v = fields?.get(name)?.value;
  return v?.kind === 'scalar' && typeof v.value === 'string'
    ? { value: v.value, node: v }
    : undefined;
}

function map(fields: Fields | undefined, name: string): RawMap | undefined {
  const v = fields?.get(name)?.value;
  return v?.kind === 'map' ? v : undefined;
}

// ---------------------------------------------------------------------------------------
// Values

function absolutePath(
  r: Reporter,
  value: string,
  at: readonly Segment[],
  pos: Position,
): string | undefined {
  const result = normaliseAbsolute(value);
  if (!result.ok) {
    r.error(result.code, at, pos, result.message, result.hint);
    return undefined;
  }
  for (const w of result.warnings)
    r.warn('path-whitespace', at, pos, w, 'remove the surrounding spaces');
  return result.path;
}

function modeOf(
  r: Reporter,
  entry: RawEntry | undefined,
  kind: 'directory' | 'file',
  at: readonly Segment[],
): number | undefined {
  if (entry === undefined || entry.value.kind !== 'scalar') return undefined;
  const { value, text } = entry.value;
  const result = parseMode(value, kind, text);
  if (result.ok) return result.mode;
  r.error(
    'invalid-mode',
    [...at, entry.key],
    entry.value.pos,
    result.message,
    'for example "0700" (owner only), "0750", "u=rwx,g=rx,o="',
  );
  return undefined;
}

function accountOf(
  r: Reporter,
  entry: RawEntry | undefined,
  of: 'user' | 'group',
  at: readonly Segment[],
): AccountRef | undefined {
  if (entry === undefined || entry.value.kind !== 'scalar') return undefined;
  const v = entry.value.value;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const value = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  return { of, value, source: r.source([...at, entry.key], entry.value.pos) };
}

// ---------------------------------------------------------------------------------------
// Entries

interface EntryInput {
  kind: 'directory' | 'file';
  /** Normalised; absolute for system entries, relative for home entries. */
  path: string;
  segments: Segment[];
  source: SourceRef;
  pos: Position;
  user?: AccountRef;
  group?: AccountRef;
  mode?: number;
  method?: string;
  storagePath?: string;
  hideMount?: boolean;
  allowTrash?: boolean;
  parents: { user?: AccountRef; group?: AccountRef; mode?: number };
}

function readEntries(
  r: Reporter,
  node: RawNode | undefined,
  kind: 'directory' | 'file',
  id: SectionId,
  segments: readonly Segment[],
  relative: boolean,
  home?: string,
): EntryInput[] {
  if (node === undefined || node.kind !== 'seq') return [];
  const other = kind === 'directory' ? 'file' : 'directory';
  const out: EntryInput[] = [];
  node.items.forEach((item, index) => {
    const at = [...segments, index];
    let pathNode: RawScalar | undefined;
    let fields: Fields | undefined;
    if (item.kind === 'scalar' && typeof item.value === 'string') {
      pathNode = item;
    } else if (item.kind === 'map') {
      const keys = new Set(item.entries.map((e) => e.key));
      if (keys.has(other) && !keys.has(kind)) {
        r.error(
          'wrong-list',
          at,
          item.pos,
          `this is a ${other} entry (it has \`${other}\`), but it is listed under ${kind === 'directory' ? 'directories' : 'files'}`,
          `move it to ${other === 'directory' ? 'directories' : 'files'}, or rename \`${other}\` to \`${kind}\``,
        );
        return;
      }
      fields = readSection(r, item, id, at);
      if (fields === undefined) return;
      const p = fields.get(kind)?.value;
      if (p === undefined) {
        if (!keys.has(kind)) {
          r.error(
            'missing-path',
            at,
            item.pos,
            `the entry has no \`${kind}\``,
            `add the path: { ${kind}: ${relative ? '".ssh"' : '"/var/lib/example"'}, ... }`,
          );
        }
        return;
      }
      if (p.kind !== 'scalar' || typeof p.value !== 'string') return;
      pathNode = p;
    } else {
      r.error(
        'invalid-entry',
        at,
        item.pos,
        `expected a path or an entry map, got ${describe(item)}`,
        `write a path such as ${relative ? '".ssh"' : '"/var/lib/example"'}, or a map such as { ${kind}: ${relative ? '".ssh"' : '"/var/lib/example"'}, mode: "0700" }`,
      );
      return;
    }
    const pathAt = fields === undefined ? at : [...at, kind];
    const raw = pathNode.value as string;
    const result = relative ? normaliseRelative(raw, home) : normaliseAbsolute(raw);
    if (!result.ok) {
      const hint =
        result.code === 'relative-path'
          ? `${result.hint}; paths inside a home belong under persistence.<location>.users.<user>`
          : result.hint;
      r.error(result.code, pathAt, pathNode.pos, result.message, hint);
      // Keep checking the rest of the entry.
    } else {
      for (const w of result.warnings) {
        r.warn('path-whitespace', pathAt, pathNode.pos, w, 'remove the surrounding spaces');
      }
    }
    const input: EntryInput = {
      kind,
      path: result.ok ? result.path : '',
      segments: at,
      source: r.source(at, item.pos),
      pos: item.pos,
      parents: {},
    };
    if (fields !== undefined) {
      const user = accountOf(r, fields.get('user'), 'user', at);
      const group = accountOf(r, fields.get('group'), 'group', at);
      const mode = modeOf(r, fields.get('mode'), kind, at);
      if (user) input.user = user;
      if (group) input.group = group;
      if (mode !== undefined) input.mode = mode;
      const method = str(fields, 'method');
      if (method) input.method = method.value;
      const psp = str(fields, 'persistentStoragePath');
      if (psp) {
        const p = absolutePath(r, psp.value, [...at, 'persistentStoragePath'], psp.node.pos);
        if (p === undefined) return;
        input.storagePath = p;
      }
      const hideMount = bool(fields, 'hideMount');
      if (hideMount !== undefined) input.hideMount = hideMount;
      const allowTrash = bool(fields, 'allowTrash');
      if (allowTrash !== undefined) input.allowTrash = allowTrash;
      const parentNode = fields.get('parentDirectory');
      if (parentNode !== undefined) {
        const pAt = [...at, 'parentDirectory'];
        const pf = readSection(r, parentNode.value, 'parentDirectory', pAt);
        const pu = accountOf(r, pf?.get('user'), 'user', pAt);
        const pg = accountOf(r, pf?.get('group'), 'group', pAt);
        const pm = modeOf(r, pf?.get('mode'), 'directory', pAt);
        if (pu) input.parents.user = pu;
        if (pg) input.parents.group = pg;
        if (pm !== undefined) input.parents.mode = pm;
      }
    }
    if (result.ok) out.push(input);
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Locations

interface LocationInfo {
  storePath: string;
  enabled: boolean;
  hideMounts: boolean;
  allowTrash: boolean;
  enableWarnings?: boolean;
  enableDebugging?: boolean;
  fields: Fields;
}

/** Options of a storage location that are also what someone forgets the location key for. */
function readLocationHeader(
  r: Reporter,
  key: string,
  keyPos: Position,
  node: RawNode,
  id: 'location' | 'homeLocation',
  at: readonly Segment[],
): LocationInfo | undefined {
  const spec = sectionSpec(id);
  if (spec.options.some((o) => o.name === key)) {
    const parent = optionPath(at.slice(0, -1));
    r.error(
      'missing-location',
      at,
      keyPos,
      `\`${key}\` is an option of a storage location, but it is written where a location belongs`,
      `nest it under a location: ${parent}."/persist".${key}`,
    );
    return undefined;
  }
  const fields = readSection(r, node, id, at);
  if (fields === undefined) return undefined;
  const psp = str(fields, 'persistentStoragePath');
  let storePath: string | undefined;
  if (psp !== undefined) {
    storePath = absolutePath(r, psp.value, [...at, 'persistentStoragePath'], psp.node.pos);
  } else if (key.trim().startsWith('/')) {
    storePath = absolutePath(r, key, at, keyPos);
  } else {
    r.error(
      'location-not-path',
      at,
      keyPos,
      `the location ${JSON.stringify(key)} is a name, not a path, and has no persistentStoragePath`,
      `set persistentStoragePath (e.g. persistentStoragePath: "/persist"), or use the store's path as the key`,
    );
  }
  if (storePath === undefined) return undefined;
  const info: LocationInfo = {
    storePath,
    enabled: bool(fields, 'enable') ?? true,
    hideMounts: bool(fields, 'hideMounts') ?? false,
    allowTrash: bool(fields, 'allowTrash') ?? false,
    fields,
  };
  const warnings = bool(fields, 'enableWarnings');
  if (warnings !== undefined) info.enableWarnings = warnings;
  const debugging = bool(fields, 'enableDebugging');
  if (debugging !== undefined) info.enableDebugging = debugging;
  return info;
}

// ---------------------------------------------------------------------------------------
// The whole configuration

class Builder {
  readonly drafts: Draft[] = [];
  verbose = false;
  showWarnings = true;
  /** `users.<name>.home`, by user. */
  readonly homes = new Map<string, { path: string; source: SourceRef }>();

  constructor(
    readonly r: Reporter,
    readonly accounts: Accounts,
  ) {}

  noteLocation(loc: LocationInfo) {
    if (loc.enableDebugging === true) this.verbose = true;
    if (loc.enableWarnings === false) this.showWarnings = false;
  }

  /** The home of a user, from (in order) the block's own `home`, `users.<name>.home`, passwd. */
  resolveHome(
    user: string,
    at: readonly Segment[],
    pos: Position,
    explicit?: string,
  ): HomeRef | undefined {
    const { accounts } = this;
    const account = accounts.user(user);
    if (account === undefined) {
      const guess = closest(user, accounts.userNames());
      this.r.error(
        'unknown-user',
        at,
        pos,
        `user ${JSON.stringify(user)} does not exist in ${accounts.passwdFile}`,
        guess !== undefined
          ? `did you mean ${JSON.stringify(guess)}? Otherwise create the user first`
          : `create the user in ${accounts.passwdFile} first (keepsake reads users and homes from it)`,
      );
      return undefined;
    }
    const configured = explicit ?? this.homes.get(user)?.path;
    let path = configured;
    if (path === undefined) {
      const fromPasswd = account.home === '' ? undefined : normaliseAbsolute(account.home);
      if (fromPasswd === undefined || !fromPasswd.ok) {
        this.r.error(
          'no-home',
          at,
          pos,
          `user ${JSON.stringify(user)} has no usable home directory in ${accounts.passwdFile} (${JSON.stringify(account.home)})`,
          `set users.${optionPath([user])}.home to the home directory`,
        );
        return undefined;
      }
      path = fromPasswd.path;
    }
    return { user: account.name, uid: account.uid, gid: account.gid, path };
  }

  addEntries(
    inputs: EntryInput[],
    build: (
      input: EntryInput,
    ) =>
      | Omit<Draft, 'owner' | 'parents' | 'method' | 'hideMount' | 'allowTrash' | 'source'>
      | undefined,
    loc: LocationInfo,
    defaults: { uid: number; gid: number },
  ) {
    for (const input of inputs) {
      const placed = build(input);
      if (placed === undefined) continue;
      const owner: OwnerDraft = {
        defaults: { ...defaults, mode: input.kind === 'directory' ? 0o755 : 0o644 },
      };
      if (input.user) owner.user = input.user;
      if (input.group) owner.group = input.group;
      if (input.mode !== undefined) owner.mode = input.mode;
      const parents: OwnerDraft = { defaults: { ...defaults, mode: 0o755 } };
      if (input.parents.user) parents.user = input.parents.user;
      if (input.parents.group) parents.group = input.parents.group;
      if (input.parents.mode !== undefined) parents.mode = input.parents.mode;
      const method: Method = input.method === 'symlink' ? 'symlink' : 'auto';
      this.drafts.push({
        ...placed,
        method,
        owner,
        parents,
        hideMount: input.hideMount ?? loc.hideMounts,
        allowTrash: input.allowTrash ?? loc.allowTrash,
        source: input.source,
      });
    }
  }

  /** `persistence.<location>`. */
  location(key: string, keyPos: Position, node: RawNode) {
    const at: Segment[] = ['persistence', key];
    const loc = readLocationHeader(this.r, key, keyPos, node, 'location', at);
    if (loc === undefined) return;
    const { fields } = loc;
    const dirs = readEntries(
      this.r,
      fields.get('directories')?.value,
      'directory',
      'directory',
      [...at, 'directories'],
      false,
    );
    const files = readEntries(
      this.r,
      fields.get('files')?.value,
      'file',
      'file',
      [...at, 'files'],
      false,
    );
    if (loc.enabled) {
      this.noteLocation(loc);
      const system = (input: EntryInput) => {
        const storeRoot = input.storagePath ?? loc.storePath;
        return {
          kind: input.kind,
          target: input.path,
          store: joinPath(storeRoot, input.path),
          storeRoot,
        };
      };
      this.addEntries([...dirs, ...files], system, loc, { uid: 0, gid: 0 });
    }
    const users = map(fields, 'users');
    for (const u of users?.entries ?? []) {
      const uAt = [...at, 'users', u.key];
      const uf = readSection(this.r, u.value, 'locationUser', uAt);
      if (uf === undefined) continue;
      const homeField = str(uf, 'home');
      const explicitHome =
        homeField === undefined
          ? undefined
          : absolutePath(this.r, homeField.value, [...uAt, 'home'], homeField.node.pos);
      const hint = explicitHome ?? this.homes.get(u.key)?.path ?? this.accounts.user(u.key)?.home;
      const udirs = readEntries(
        this.r,
        uf.get('directories')?.value,
        'directory',
        'directory',
        [...uAt, 'directories'],
        true,
        hint,
      );
      const ufiles = readEntries(
        this.r,
        uf.get('files')?.value,
        'file',
        'file',
        [...uAt, 'files'],
        true,
        hint,
      );
      if (!loc.enabled || udirs.length + ufiles.length === 0) continue;
      if (homeField !== undefined && explicitHome === undefined) continue;
      const home = this.resolveHome(u.key, uAt, u.keyPos, explicitHome);
      if (home === undefined) continue;
      const inHome = (input: EntryInput) => {
        const storeRoot = input.storagePath ?? loc.storePath;
        return {
          kind: input.kind,
          target: joinPath(home.path, input.path),
          store: joinPath(storeRoot, home.path, input.path),
          storeRoot,
          home,
        };
      };
      this.addEntries([...udirs, ...ufiles], inHome, loc, { uid: home.uid, gid: home.gid });
    }
  }

  /** `users.<name>.home`; read before any location so that every block sees it. */
  userHome(name: string, node: RawNode) {
    const at: Segment[] = ['users', name];
    if (node.kind !== 'map') return;
    const homeEntry = node.entries.find((e) => e.key === 'home');
    if (homeEntry === undefined || homeEntry.value.kind !== 'scalar') return;
    const v = homeEntry.value.value;
    if (typeof v !== 'string') return; // reported by the section check
    const path = absolutePath(this.r, v, [...at, 'home'], homeEntry.value.pos);
    if (path !== undefined) {
      this.homes.set(name, { path, source: this.r.source([...at, 'home'], homeEntry.value.pos) });
    }
  }

  /** `users.<name>`, with Home Manager's classic `persistence`. */
  user(name: string, keyPos: Position, node: RawNode) {
    const at: Segment[] = ['users', name];
    // A bad `home` path is reported by userHome; its type by the section check.
    const fields = readSection(this.r, node, 'user', at);
    if (fields === undefined) return;
    const persistence = map(fields, 'persistence');
    for (const l of persistence?.entries ?? []) {
      const lAt = [...at, 'persistence', l.key];
      const loc = readLocationHeader(this.r, l.key, l.keyPos, l.value, 'homeLocation', lAt);
      if (loc === undefined) continue;
      const lf = loc.fields;
      const removePrefix = bool(lf, 'removePrefixDirectory') ?? false;
      const hint = this.homes.get(name)?.path ?? this.accounts.user(name)?.home;
      const dirs = readEntries(
        this.r,
        lf.get('directories')?.value,
        'directory',
        'homeDirectory',
        [...lAt, 'directories'],
        true,
        hint,
      );
      const files = readEntries(
        this.r,
        lf.get('files')?.value,
        'file',
        'homeFile',
        [...lAt, 'files'],
        true,
        hint,
      );
      const inputs = [...dirs, ...files].filter((input) => {
        if (!removePrefix || input.path.includes('/')) return true;
        this.r.error(
          'prefix-only',
          input.segments,
          input.pos,
          `${JSON.stringify(input.path)} has nothing left once removePrefixDirectory drops its first component`,
          'write it as "<prefix>/<path in the home>" (e.g. "gpg/.gnupg"), or set removePrefixDirectory: false',
        );
        return false;
      });
      if (!loc.enabled) continue;
      this.noteLocation(loc);
      if (inputs.length === 0) continue;
      const home = this.resolveHome(name, at, keyPos);
      if (home === undefined) continue;
      const classic = (input: EntryInput) => {
        const storeRoot = input.storagePath ?? loc.storePath;
        const onHomeSide = removePrefix
          ? input.path.slice(input.path.indexOf('/') + 1)
          : input.path;
        return {
          kind: input.kind,
          target: joinPath(home.path, onHomeSide),
          store: joinPath(storeRoot, input.path),
          storeRoot,
          home,
        };
      };
      this.addEntries(inputs, classic, loc, { uid: home.uid, gid: home.gid });
    }
  }
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
    source: d.source,
  };
  if (d.home !== undefined) entry.home = { ...d.home };
  return entry;
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  const la = a.source?.line ?? 0;
  const lb = b.source?.line ?? 0;
  if (la !== lb) return la - lb;
  return (a.source?.column ?? 0) - (b.source?.column ?? 0);
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
  if (top !== undefined) {
    const users = map(top, 'users');
    for (const u of users?.entries ?? []) b.userHome(u.key, u.value);
    for (const l of map(top, 'persistence')?.entries ?? []) b.location(l.key, l.keyPos, l.value);
    for (const u of users?.entries ?? []) b.user(u.key, u.keyPos, u.value);
  }
  const stores = [...new Set(b.drafts.map((d) => d.storeRoot))].sort();
  r.diagnostics.push(...runRules({ drafts: b.drafts, accounts, stores }));
  const diagnostics = [...loaded.diagnostics, ...r.diagnostics].sort(byPosition);
  const failed = diagnostics.some((d) => d.severity === 'error');
  if (!failed && b.drafts.length === 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'nothing-declared',
      message: '(top level): the configuration declares nothing to persist',
      hint: 'add a storage location under `persistence`, e.g. persistence."/persist".directories: [ "/var/log" ]',
      source: { file: loaded.file, line: 1, column: 1, option: '' },
    });
  }
  if (failed) return { model: undefined, diagnostics };
  return {
    model: {
      configFile: options.configFile,
      entries: b.drafts.map((d) => toEntry(d, accounts)),
      stores,
      warnings: diagnostics.filter((d) => d.severity === 'warning'),
      verbose: options.verbose === true || b.verbose,
      showWarnings: b.showWarnings,
    },
    diagnostics,
  };
}
