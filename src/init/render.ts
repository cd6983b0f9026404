// `keepsake init`'s starter configuration, rendered from the presets and what was found on
// the machine. Pure: the caller probes the paths and reads the accounts.

import {
  HOME_PRESETS,
  type Preset,
  type PresetKind,
  type PresetPath,
  SYSTEM_PRESETS,
} from './presets.js';

/** What stands at a path on the machine (never followed). */
export interface Found {
  type: 'directory' | 'file' | 'symlink' | 'other';
  uid: number;
  gid: number;
  mode: number;
}

export interface InitInput {
  root: string;
  store: string;
  /** What stands at each absolute path probed (home paths joined to the home). */
  found: ReadonlyMap<string, Found>;
  users: readonly { name: string; home: string }[];
  userName: (uid: number) => string | undefined;
  groupName: (gid: number) => string | undefined;
}

/** Every absolute path `init` looks at, for the caller to probe. */
export function pathsToProbe(users: readonly { home: string }[]): string[] {
  const system = SYSTEM_PRESETS.flatMap((p) => p.paths.map((e) => e.path));
  const home = users.flatMap((u) =>
    HOME_PRESETS.flatMap((p) => p.paths.map((e) => `${u.home}/${e.path}`)),
  );
  return [...system, ...home];
}

// A name or path YAML reads as a plain scalar, or else a JSON string (valid YAML too).
const PLAIN = /^[A-Za-z0-9_./@+-][A-Za-z0-9_./@+ -]*$/;
const scalar = (s: string) => (PLAIN.test(s) && !s.endsWith(' ') ? s : JSON.stringify(s));
const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

/** Why a found path is not proposed as it stands, or undefined when it is. */
function notProposed(e: PresetPath, f: Found | undefined): string | undefined {
  if (!f) return 'not on this machine';
  if (f.type === 'symlink') return 'a symbolic link here; declare the path it points to';
  if (f.type !== e.kind) return `expected a ${e.kind}, found a ${f.type}`;
  return undefined;
}

/** One proposed entry: the owner and mode its stored copy is created with, and its method. */
function entryText(input: InitInput, e: PresetPath, f: Found, home: boolean): string {
  const opts: string[] = [];
  // In a home the owner defaults to the user; elsewhere keep the owner found.
  if (e.kind === 'directory' && !home) {
    const user = f.uid === 0 ? undefined : (input.userName(f.uid) ?? String(f.uid));
    const group = f.gid === 0 ? undefined : (input.groupName(f.gid) ?? String(f.gid));
    if (user) opts.push(`user: ${scalar(user)}`);
    if (group) opts.push(`group: ${scalar(group)}`);
  }
  const mode =
    e.mode ?? (e.kind === 'directory' && (f.mode & 0o7777) !== 0o755 ? octal(f.mode) : undefined);
  if (mode) opts.push(`mode: ${JSON.stringify(mode)}`);
  if (e.method) opts.push(`method: ${e.method}`);
  const why = e.why ? `  # ${e.why}` : '';
  const key = e.kind === 'directory' ? 'directory' : 'file';
  return (
    (opts.length === 0
      ? `- ${scalar(e.path)}`
      : `- { ${key}: ${scalar(e.path)}, ${opts.join(', ')} }`) + why
  );
}

/**
 * The entries of one kind under `indent`, grouped by preset with its reason. A preset with
 * nothing on the machine is named once at the end; a path inside another proposed path is
 * left commented (it would be a redundant nested entry of the same store).
 */
function list(
  input: InitInput,
  presets: readonly Preset[],
  kind: PresetKind,
  name: string,
  indent: string,
  base: string | undefined,
): string[] {
  const abs = (e: PresetPath) => (base === undefined ? e.path : `${base}/${e.path}`);
  const own = presets
    .map((p) => ({ p, paths: p.paths.filter((e) => e.kind === kind) }))
    .filter((g) => g.paths.length > 0);
  const proposed = own.flatMap((g) =>
    g.paths.filter((e) => notProposed(e, input.found.get(abs(e))) === undefined).map(abs),
  );
  const lines: string[] = [];
  const absent: string[] = [];
  for (const { p, paths } of own) {
    if (!paths.some((e) => input.found.has(abs(e)))) {
      absent.push(p.title);
      continue;
    }
    lines.push(`# ${p.title}: ${p.why}`);
    for (const e of paths) {
      const f = input.found.get(abs(e));
      const outer = proposed.find((a) => abs(e).startsWith(`${a}/`));
      const reason = notProposed(e, f) ?? (outer ? `inside ${outer}, proposed already` : undefined);
      lines.push(
        reason || !f
          ? `# - ${scalar(e.path)}  # ${reason}`
          : entryText(input, e, f, base !== undefined),
      );
    }
  }
  if (absent.length > 0) lines.push(`# nothing found for: ${absent.join(', ')}`);
  const some = proposed.some((a) => !proposed.some((o) => a.startsWith(`${o}/`)));
  return [`${indent}${name}:${some ? '' : ' []'}`, ...lines.map((l) => `${indent}  ${l}`)];
}

export function renderInit(input: InitInput): string {
  const out = [
    // Editors with the YAML language server complete and check the file against the schema
    // the Debian package installs (`keepsake schema` prints it).
    '# yaml-language-server: $schema=file:///usr/share/keepsake/keepsake.schema.json',
    `# keepsake configuration proposed by \`keepsake init\` for the machine at ${input.root}`,
    '#',
    '# Each entry names state that a service or a person keeps. Lines that are commented out',
    '# name paths of the same presets that this machine does not have (or has in another form).',
    '# Review every line, then:',
    '#   keepsake check                 validate this file',
    '#   keepsake plan                  see what apply would do; data already at a target is refused',
    `#   keepsake apply --adopt         move that data into ${input.store} and bind it back`,
    '#   keepsake diff                  what is still undeclared, and lost at the next reboot',
    'persistence:',
    `  ${scalar(input.store)}:`,
    '    hideMounts: true',
    ...list(input, SYSTEM_PRESETS, 'directory', 'directories', '    ', undefined),
    ...list(input, SYSTEM_PRESETS, 'file', 'files', '    ', undefined),
  ];
  if (input.users.length > 0) {
    out.push('    users:');
    for (const u of input.users) {
      out.push(`      ${scalar(u.name)}:  # home ${u.home}`);
      out.push(...list(input, HOME_PRESETS, 'directory', 'directories', '        ', u.home));
      out.push(...list(input, HOME_PRESETS, 'file', 'files', '        ', u.home));
    }
  }
  out.push(
    '# At shutdown, copy what the reboot would wipe and nothing declares (changed since boot,',
    '# smallest first, up to maxBytes) into <store>/.keepsake/salvage/; bring a forgotten file',
    '# back with `keepsake salvage restore PATH`, or keep it for good with `keepsake salvage add PATH`.',
    'salvage:',
    '  enable: true',
    '  maxBytes: 256M',
    '  keepBoots: 5',
    '# A root on btrfs or ZFS rolled back to a blank snapshot at boot is ephemeral too: say so.',
    '# ephemeral: [ / ]',
  );
  return `${out.join('\n')}\n`;
}
