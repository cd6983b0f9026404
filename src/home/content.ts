// Building a generation's content in the user's home store: every declared file is copied
// once into `<state>/files/<sha256>-<r|x>` (a directory into `<digest>-d`), named by its
// content, so unchanged files are never copied again and every generation can share them.

import * as fs from 'node:fs';
import { HomeError } from '../errors.js';
import type { HomeFile, HomeFileSet, PersistEntry } from '../model/types.js';
import { placeDirectoryOnce } from '../system/atomic-dir.js';
import { replaceFile } from '../system/atomic-write.js';
import { sha256Hex } from '../system/digest.js';
import { makePrivateDir } from '../system/home-fs.js';
import { storeWriteError } from './store-write.js';
import type { DesiredHome, DesiredLink } from './types.js';

export interface ContentProblem {
  target: string;
  option: string;
  message: string;
}

const sha256 = (data: string | Buffer) => sha256Hex(data);

export function filesArea(state: string): string {
  return `${state}/files`;
}

/** Where content goes; a dry run only names it. */
interface Area {
  path: string;
  /** The home store the area is in, for messages. */
  store: string;
  write: boolean;
}

function putFile(area: Area, data: Buffer, executable: boolean): { path: string; hash: string } {
  const hash = `${sha256(data)}-${executable ? 'x' : 'r'}`;
  const path = `${area.path}/${hash}`;
  // Content-addressed: a file already there holds these very bytes, and is left as it is.
  if (!area.write || fs.existsSync(path)) return { path, hash };
  try {
    replaceFile(area.path, hash, data, { mode: executable ? 0o555 : 0o444 });
  } catch (thrown) {
    throw storeWriteError(thrown, area.store, path);
  }
  return { path, hash };
}

/**
 * Files under a source directory (links followed, as Home Manager does), relative, sorted. A
 * link back to a directory already on the way is an error, not an endless walk.
 */
function walk(
  dir: string,
  rel = '',
  seen = new Set<string>(),
): { files: string[]; dirs: string[] } {
  const here = fs.statSync(`${dir}/${rel}`);
  const id = `${here.dev}:${here.ino}`;
  if (seen.has(id)) throw new Error(`${dir}/${rel} links back to a directory above it`);
  const files: string[] = [];
  const dirs: string[] = [];
  for (const name of fs.readdirSync(`${dir}/${rel}`).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    if (fs.statSync(`${dir}/${r}`).isDirectory()) {
      dirs.push(r);
      const inner = walk(dir, r, new Set([...seen, id]));
      files.push(...inner.files);
      dirs.push(...inner.dirs);
    } else files.push(r);
  }
  return { files, dirs };
}

const isExecutable = (path: string) => (fs.statSync(path).mode & 0o111) !== 0;

/** A whole source directory as one read-only copy, named by a digest of its tree. */
function putDirectory(area: Area, src: string, executable: boolean | undefined) {
  const { files, dirs } = walk(src);
  const entries = files.map((f) => {
    const data = fs.readFileSync(`${src}/${f}`);
    const x = executable ?? isExecutable(`${src}/${f}`);
    return { f, data, x };
  });
  const listing = [
    ...dirs.map((d) => `d ${d}`),
    ...entries.map((e) => `f ${e.f} ${e.x ? 'x' : 'r'} ${sha256(e.data)}`),
  ];
  const hash = `${sha256(listing.join('\n'))}-d`;
  const path = `${area.path}/${hash}`;
  // Named by its content: one already there holds this very tree, and is left as it is.
  if (area.write && !fs.existsSync(path)) {
    try {
      placeDirectoryOnce(area.path, hash, {
        dirs,
        entries: entries.map((e) => ({ path: e.f, content: e.data, mode: e.x ? 0o555 : 0o444 })),
      });
    } catch (thrown) {
      throw storeWriteError(thrown, area.store, path);
    }
  }
  return { path, hash };
}

function linksOf(area: Area, f: HomeFile): { links: DesiredLink[]; directories: string[] } {
  const base = {
    force: f.force,
    declared: f.target,
    ...(f.onChange !== undefined ? { onChange: f.onChange } : {}),
  };
  if (f.content.kind === 'text') {
    const blob = putFile(area, Buffer.from(f.content.text), f.executable ?? false);
    return {
      links: [{ ...base, target: f.target, to: blob.path, kind: 'file', hash: blob.hash }],
      directories: [],
    };
  }
  const src = f.content.path;
  if (!fs.statSync(src).isDirectory()) {
    const blob = putFile(area, fs.readFileSync(src), f.executable ?? isExecutable(src));
    return {
      links: [{ ...base, target: f.target, to: blob.path, kind: 'file', hash: blob.hash }],
      directories: [],
    };
  }
  if (!f.recursive) {
    const blob = putDirectory(area, src, f.executable);
    return {
      links: [{ ...base, target: f.target, to: blob.path, kind: 'directory', hash: blob.hash }],
      directories: [],
    };
  }
  const { files, dirs } = walk(src);
  const links = files.map((rel): DesiredLink => {
    const blob = putFile(
      area,
      fs.readFileSync(`${src}/${rel}`),
      f.executable ?? isExecutable(`${src}/${rel}`),
    );
    return { ...base, target: `${f.target}/${rel}`, to: blob.path, kind: 'file', hash: blob.hash };
  });
  return { links, directories: [f.target, ...dirs.map((d) => `${f.target}/${d}`)] };
}

/** The links a user's own persistence entries get when there is no root to bind them. */
export function persistLinks(entries: readonly PersistEntry[]): DesiredLink[] {
  return entries.map((e) => ({
    target: e.target,
    to: e.store,
    kind: 'persist',
    hash: e.store,
    force: false,
    declared: e.target,
    ...(e.kind === 'directory' ? { storeDirectory: true } : {}),
  }));
}

/**
 * Build what a generation links: the content of every declared file in the store, plus the
 * given persistence links (a dry run writes nothing). Sources that cannot be read are
 * collected, not thrown one by one.
 */
export function buildDesired(
  set: HomeFileSet,
  extra: readonly DesiredLink[],
  write: boolean,
): { desired: DesiredHome; problems: ContentProblem[] } {
  const area = { path: filesArea(set.state.path), store: set.state.path, write };
  if (write) makePrivateDir(area.path);
  const links: DesiredLink[] = [];
  const directories: string[] = [];
  const problems: ContentProblem[] = [];
  for (const f of set.files) {
    try {
      const got = linksOf(area, f);
      links.push(...got.links);
      directories.push(...got.directories);
    } catch (e) {
      // The store refused a write: not this source's problem, and no other file would fare
      // better; the apply stops here, before anything in the home changed.
      if (e instanceof HomeError) throw e;
      const err = e as NodeJS.ErrnoException;
      const path = f.content.kind === 'source' ? f.content.path : f.target;
      problems.push({
        target: f.target,
        option: f.source.option,
        message: `cannot read ${err.path ?? path}: ${err.code ?? err.message}`,
      });
    }
  }
  links.push(...extra);
  return { desired: { home: set.user.path, links, directories }, problems };
}
