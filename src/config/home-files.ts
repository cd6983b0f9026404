// `users.<name>.files` (Home Manager's `home.file`), `backupExtension` and `homeStore`: the
// declared home files of one user, and where their generations are kept.

import { dirname, resolve } from 'node:path';
import type { HomeFile, HomeFileContent, HomeFileSet, HomeRef, HomeState } from '../model/types.js';
import type { Builder } from './builder.js';
import { joinPath, normaliseAbsolute, normaliseRelative } from './paths.js';
import { quoted } from './quoted.js';
import type { Position, RawEntry, Segment } from './raw.js';
import { bool, type Fields, map, readSection, str } from './sections.js';
import { absolutePath } from './values.js';

/** A user's home files as read, before the place of their state is known. */
export interface HomeFilesDraft {
  user: HomeRef;
  files: HomeFile[];
  backupExtension?: string;
  homeStore?: string;
}

function readContent(
  b: Builder,
  f: Fields,
  written: readonly string[],
  at: readonly Segment[],
  pos: Position,
): HomeFileContent | undefined {
  const text = str(f, 'text');
  const source = str(f, 'source');
  // A `text` or `source` of the wrong type is reported by the section check already.
  if (
    text === undefined &&
    source === undefined &&
    written.some((k) => k === 'text' || k === 'source')
  )
    return undefined;
  if ((text === undefined) === (source === undefined)) {
    b.r.error(
      text === undefined ? 'no-content' : 'two-contents',
      at,
      pos,
      text === undefined
        ? 'a home file needs its content: `text` or `source`'
        : 'a home file takes `text` or `source`, not both',
      'write text: "..." for literal content, or source: ./path for a file or directory to link',
    );
    return undefined;
  }
  if (text !== undefined) return { kind: 'text', text: text.value };
  if (source === undefined || source.value.trim() === '') {
    b.r.error('empty-path', [...at, 'source'], pos, 'the source is empty', 'write source: ./path');
    return undefined;
  }
  const abs = normaliseAbsolute(resolve(dirname(resolve(b.r.file)), source.value));
  return abs.ok ? { kind: 'source', path: abs.path } : undefined;
}

function readFile(b: Builder, home: HomeRef, e: RawEntry, at: readonly Segment[]) {
  const fAt = [...at, e.key];
  const f = readSection(b.r, e.value, 'userFile', fAt);
  if (f === undefined) return undefined;
  const targetField = str(f, 'target');
  const rel = normaliseRelative(targetField?.value ?? e.key, home.path);
  if (!rel.ok) {
    const where = targetField === undefined ? fAt : [...fAt, 'target'];
    b.r.error(rel.code, where, targetField?.node.pos ?? e.keyPos, rel.message, rel.hint);
    return undefined;
  }
  const written = e.value.kind === 'map' ? e.value.entries.map((x) => x.key) : [];
  const content = readContent(b, f, written, fAt, e.keyPos);
  if (content === undefined || bool(f, 'enable') === false) return undefined;
  const file: HomeFile = {
    target: joinPath(home.path, rel.path),
    content,
    recursive: bool(f, 'recursive') ?? false,
    force: bool(f, 'force') ?? false,
    source: b.r.source(fAt, e.keyPos),
  };
  const executable = bool(f, 'executable');
  if (executable !== undefined) file.executable = executable;
  const onChange = str(f, 'onChange')?.value;
  if (onChange !== undefined) file.onChange = onChange;
  return file;
}

/** Report targets declared twice, and targets inside another file's target. */
function checkTargets(b: Builder, files: readonly HomeFile[]) {
  const byTarget = new Map<string, HomeFile>();
  for (const f of files) {
    const earlier = byTarget.get(f.target);
    if (earlier !== undefined) {
      b.r.diagnostics.push({
        severity: 'error',
        code: 'duplicate-target',
        message: `${f.source.option}: ${f.target} is already declared by ${earlier.source.option}`,
        hint: 'declare each home file once (set `target` to link it elsewhere)',
        source: f.source,
      });
    } else byTarget.set(f.target, f);
  }
  for (const f of files) {
    // The nearest enclosing target that links a whole tree, found among f's own ancestors.
    let outer: HomeFile | undefined;
    for (let p = dirname(f.target); p !== '/' && outer === undefined; p = dirname(p)) {
      const o = byTarget.get(p);
      if (o !== undefined && !o.recursive) outer = o;
    }
    if (outer === undefined) continue;
    b.r.diagnostics.push({
      severity: 'error',
      code: 'nested-target',
      message: `${f.source.option}: ${f.target} lies inside ${outer.target}, which ${outer.source.option} links as a whole`,
      hint: `set recursive: true on ${outer.source.option} (a directory source), or declare one of them elsewhere`,
      source: f.source,
    });
  }
}

/** `users.<name>.files`, `backupExtension`, `homeStore`; `fields` are the user's section. */
export function userHomeFiles(
  b: Builder,
  name: string,
  keyPos: Position,
  fields: Fields,
): HomeFilesDraft | undefined {
  const at: Segment[] = ['users', name];
  const filesNode = map(fields, 'files');
  const homeStoreField = str(fields, 'homeStore');
  const homeStore =
    homeStoreField === undefined
      ? undefined
      : absolutePath(b.r, homeStoreField.value, [...at, 'homeStore'], homeStoreField.node.pos);
  const ext = str(fields, 'backupExtension');
  if (ext !== undefined && (ext.value === '' || ext.value.includes('/'))) {
    b.r.error(
      'invalid-value',
      [...at, 'backupExtension'],
      ext.node.pos,
      `${quoted(ext.value)} is not a file name extension`,
      'write a plain extension without slashes, e.g. backupExtension: bak',
    );
  }
  // A home store holds generations and content even while no file is declared (the files
  // may come back): it is kept as referenced data either way.
  if (homeStore !== undefined) b.homeStores.push({ user: name, path: homeStore });
  if (filesNode === undefined || filesNode.entries.length === 0) return undefined;
  const home = b.resolveHome(name, at, keyPos);
  if (home === undefined) return undefined;
  const files: HomeFile[] = [];
  for (const e of filesNode.entries) {
    const file = readFile(b, home, e, [...at, 'files']);
    if (file !== undefined) files.push(file);
  }
  checkTargets(b, files);
  return {
    user: home,
    files,
    ...(ext !== undefined ? { backupExtension: ext.value } : {}),
    ...(homeStore !== undefined ? { homeStore } : {}),
  };
}

/**
 * Where a user's home-file state lives: `homeStore`; else inside the user's own first storage
 * directory (which the user owns and which persists); else in the first system store, in a
 * directory root creates for the user; else in the home itself, which a tmpfs home loses.
 */
export function homeState(
  draft: HomeFilesDraft,
  userStores: readonly string[],
  systemStores: readonly string[],
): HomeState {
  if (draft.homeStore !== undefined) return { path: draft.homeStore, from: 'homeStore' };
  const own = userStores[0];
  if (own !== undefined) return { path: joinPath(own, '.keepsake-home'), from: 'user-store' };
  const system = systemStores[0];
  if (system !== undefined) {
    return { path: joinPath(system, '.keepsake-home', draft.user.user), from: 'system-store' };
  }
  return { path: joinPath(draft.user.path, '.local/state/keepsake'), from: 'home' };
}

export function toHomeFileSet(draft: HomeFilesDraft, state: HomeState): HomeFileSet {
  const { homeStore: _h, ...rest } = draft;
  return { ...rest, state };
}
