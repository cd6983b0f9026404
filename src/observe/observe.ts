// The observer: looks at the live system, without changing it, and answers the planner's
// questions. It reads the mount table once, lstats paths only when the planner asks (each at
// most once), never follows a symlink and never spawns a process.

import nodeFs, * as fs from 'node:fs';
import { type MountPaths, sameMountLines } from '../core/mount-relevance.js';
import { type MountQueries, watchMountQueries } from '../core/mount-table.js';
import { parseMountInfo } from '../core/mountinfo.js';
import { hostPath } from '../core/paths.js';
import { parseUtab } from '../core/utab-line.js';
import {
  type ContentSummary,
  MISSING,
  type Observed,
  type PathState,
  type PathType,
} from '../model/observed.js';
import { loadBinding } from '../system/binding.js';
import { sha256Hex } from '../system/digest.js';
import { readMountInfoText } from '../system/mountinfo.js';
import { readUtabText } from '../system/utab.js';

/** A refusal message needs an idea of how much is in the way, not an exact census. */
const SUMMARY_LIMIT = 20_000;

/**
 * What a plan was made from, for the settled record (src/apply/settled.ts): the mount table
 * and utab as read (their digests), and every question the planner asked with its answer. The
 * planner is a pure function of these (and the model and options): the same answers give the
 * same plan, so a plan that did nothing stays a plan that does nothing while they all hold.
 * Of the mount table, only the lines its answers depend on count (src/core/mount-relevance.ts):
 * `seen`, kept apart (MountsSeen), lets a table that differs tell whether it differs in those.
 */
export interface Observations {
  mounts: string;
  /** The `id` of the MountsSeen kept with the record, when one is. */
  seen?: string;
  utab: string;
  /** lstat answers, in the order asked: [path, type, uid, gid, mode, size, dev, ino, link?]. */
  stats: StatProbe[];
  /** isEmpty answers. */
  empty: [string, boolean][];
}
export type StatProbe = [string, PathType, number, number, number, number, number, number, string?];

/** Collects the observations of one plan; `complete` is false once the planner asked something
 *  the record does not keep (a census of data in the way, a file's text). */
export interface ObservationLog {
  taken?: Observations;
  complete: boolean;
  /** The mount table as read, and the paths asked about of it (mountsSeen). */
  mountText?: string;
  mountQueries?: MountQueries;
}

/**
 * The mount table a plan was made from and the paths it asked about of it: kept beside the
 * settled record, and read only when the table has changed since.
 */
export interface MountsSeen extends MountPaths {
  text: string;
  /** Names this one: a record names the one written with it (random, never reused). */
  id?: string;
}

/** The mount table of a plan once it is made: the paths asked about are known only then. */
export function mountsSeen(log: ObservationLog): MountsSeen | undefined {
  const { mountText, mountQueries } = log;
  if (mountText === undefined || mountQueries === undefined) return undefined;
  return { text: mountText, at: [...mountQueries.at], inside: [...mountQueries.inside] };
}

/**
 * A MountsSeen as the file kept beside the settled record holds it: one line of JSON with
 * everything but the text (`{"at":[...],"inside":[...],"id":"..."}`), then the table's text as
 * read. The text is kept as it is rather than as a JSON string: escaping every line's end and
 * reading it back cost more than the rest of writing the record. A JSON text has no line end
 * of its own, so the first one ends the header.
 */
export function mountsSeenPieces(seen: MountsSeen, id: string): string[] {
  const header = JSON.stringify({ at: seen.at, inside: seen.inside, id });
  return [header, '\n', seen.text];
}

/** The MountsSeen of such a file's text; undefined for anything else (an older form too). */
export function readMountsSeen(file: string): MountsSeen | undefined {
  const end = file.indexOf('\n');
  if (end < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(file.slice(0, end));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null) return undefined;
  const { at, inside, id } = header as Record<string, unknown>;
  const strings = (list: unknown): list is string[] =>
    Array.isArray(list) && list.every((x) => typeof x === 'string');
  if (!strings(at) || !strings(inside) || typeof id !== 'string') return undefined;
  return { text: file.slice(end + 1), at, inside, id };
}

/** The mount table answers as it did: `moved`, the digest of its text now, when that differs. */
export interface SameMounts {
  moved?: string;
}

/**
 * Whether the mount table answers every question of a plan as it did: the same text, or one
 * whose lines the answers depend on are the same (`readSeen`: the text of the MountsSeen
 * kept, believed only when it is the one `taken` names). Undefined when it does not.
 */
function sameMounts(
  taken: Observations,
  readSeen: () => string | undefined,
  mountTable: () => string,
): SameMounts | undefined {
  const now = mountTable();
  const digest = sha256Hex(now);
  if (digest === taken.mounts) return {};
  if (typeof taken.seen !== 'string') return undefined;
  const file = readSeen();
  const seen = file === undefined ? undefined : readMountsSeen(file);
  if (seen === undefined || seen.id !== taken.seen) return undefined;
  if (!sameMountLines(seen.text, now, seen)) return undefined;
  return { moved: digest };
}

/** What is at `root` now; `mountTable`, when given, gives the mount table's text (one read
 *  ahead: readMountInfoAhead), else it is read here. */
export function observe(
  root: string,
  log?: ObservationLog,
  mountTable: () => string = readMountInfoText,
): Observed {
  const stats = new Map<string, PathState>();
  const empties = new Map<string, boolean>();
  const mountText = mountTable();
  const utabText = readUtabText(hostPath(root, '/run/mount/utab'));
  const taken: Observations | undefined = log
    ? { mounts: sha256Hex(mountText), utab: sha256Hex(utabText), stats: [], empty: [] }
    : undefined;
  const mounts = parseMountInfo(mountText);
  if (log) {
    log.taken = taken;
    log.complete = true;
    log.mountText = mountText;
    log.mountQueries = watchMountQueries(mounts);
  }
  return {
    root,
    mounts,
    utab: parseUtab(utabText),
    stat(path) {
      let st = stats.get(path);
      if (!st) {
        // Below a known non-directory nothing can exist: no need to ask the kernel.
        const parent = path.slice(0, Math.max(1, path.lastIndexOf('/')));
        const up = parent !== path ? stats.get(parent) : undefined;
        st = up && up.type !== 'directory' ? MISSING : lstatState(path);
        stats.set(path, st);
        taken?.stats.push(statProbe(path, st));
      }
      return st;
    },
    isEmpty(path) {
      let empty = empties.get(path);
      if (empty === undefined) {
        empty = isEmptyDir(path);
        empties.set(path, empty);
        taken?.empty.push([path, empty]);
      }
      return empty;
    },
    contents: (path) => {
      if (log) log.complete = false;
      return summarise(path);
    },
    readText: (path, maxBytes) => {
      if (log) log.complete = false;
      return readText(path, maxBytes);
    },
  };
}

function statProbe(path: string, st: PathState): StatProbe {
  const p: StatProbe = [path, st.type, st.uid, st.gid, st.mode, st.size, st.dev, st.ino];
  if (st.linkTarget !== undefined) p.push(st.linkTarget);
  return p;
}

/**
 * Whether the system still answers every question of `taken` as it did: the mount table
 * (sameMounts) and utab byte for byte, each path's lstat field for field, each directory's
 * emptiness. Reads as the observer does (the same lstat, never through a link); changes
 * nothing. Undefined when anything differs.
 */
export function sameObservations(
  root: string,
  taken: Observations,
  readSeen: () => string | undefined,
  mountTable: () => string = readMountInfoText,
): SameMounts | undefined {
  const mounts = sameMounts(taken, readSeen, mountTable);
  if (mounts === undefined) return undefined;
  if (sha256Hex(readUtabText(hostPath(root, '/run/mount/utab'))) !== taken.utab) return undefined;
  for (const probe of taken.stats) {
    const now = statProbe(probe[0], lstatState(probe[0]));
    if (now.length !== probe.length) return undefined;
    for (let i = 1; i < now.length; i++) if (now[i] !== probe[i]) return undefined;
  }
  for (const [path, empty] of taken.empty) {
    let now: boolean;
    try {
      now = isEmptyDir(path);
    } catch {
      return undefined;
    }
    if (now !== empty) return undefined;
  }
  return mounts;
}

function readText(path: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(
      path,
      fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
    );
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    const buf = Buffer.alloc(st.size);
    const n = fs.readSync(fd, buf, 0, st.size, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

const { S_IFMT, S_IFLNK, S_IFREG, S_IFDIR } = fs.constants;
// Linux's numbers for these, the same on every architecture (asm-generic/errno-base.h): not
// read from node:os, which every run would then load for two constants.
const ENOENT = 2;
const ENOTDIR = 20;

/** The addon's lstat into one reused array (mode, uid, gid, size, dev, ino), where it has it:
 *  a plan asks about thousands of paths, and an fs.Stats (with its Dates) for each is most
 *  of what that costs. */
const statValues = new Float64Array(6);
let nativeLstat: ((path: string, out: Float64Array) => number) | null | undefined;
let nativeReadLink: ((path: string) => string | number) | undefined;

function lstatNative(path: string): PathState | undefined {
  if (nativeLstat === undefined) {
    const { binding } = loadBinding();
    nativeLstat = binding?.lstatInto ? binding.lstatInto.bind(binding) : null;
    nativeReadLink = binding?.readLink?.bind(binding);
  }
  if (nativeLstat === null) return undefined;
  const result = nativeLstat(path, statValues);
  if (result === -ENOENT || result === -ENOTDIR) return MISSING;
  if (result !== 0) return undefined; // fs says what went wrong, below
  // Read by index: destructuring a typed array runs its iterator, for every path.
  const mode = statValues[0]!;
  const type = mode & S_IFMT;
  const kind =
    type === S_IFLNK
      ? 'symlink'
      : type === S_IFREG
        ? 'file'
        : type === S_IFDIR
          ? 'directory'
          : 'other';
  const st: PathState = {
    type: kind,
    uid: statValues[1]!,
    gid: statValues[2]!,
    mode: mode & 0o7777,
    size: statValues[3]!,
    dev: statValues[4]!,
    ino: statValues[5]!,
  };
  if (kind === 'symlink') {
    // Where the addon cannot read it (the link changed meanwhile, say), node:fs reads it again
    // and throws its error, as it always did.
    const link = nativeReadLink?.(path);
    st.linkTarget = typeof link === 'string' ? link : fs.readlinkSync(path);
  }
  return st;
}

function lstatState(path: string): PathState {
  const known = lstatNative(path);
  if (known) return known;
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return MISSING;
    throw e;
  }
  if (!st) return MISSING;
  const base = {
    uid: st.uid,
    gid: st.gid,
    mode: st.mode & 0o7777,
    size: st.size,
    dev: st.dev,
    ino: st.ino,
  };
  if (st.isSymbolicLink()) return { type: 'symlink', ...base, linkTarget: fs.readlinkSync(path) };
  if (st.isFile()) return { type: 'file', ...base };
  if (st.isDirectory()) return { type: 'directory', ...base };
  return { type: 'other', ...base };
}

function isEmptyDir(path: string): boolean {
  // Through the module itself: opendirSync is one of node:fs's properties that loads a module
  // of Node's when first read, which the bundle leaves to the runs that use it.
  const dir = nodeFs.opendirSync(path);
  try {
    return dir.readSync() === null;
  } finally {
    dir.closeSync();
  }
}

/** Count what lies in a directory (without following links or crossing mounts). */
export function summarise(path: string): ContentSummary {
  const out: ContentSummary = { files: 0, directories: 0, bytes: 0, sample: [], truncated: false };
  const rootDev = fs.lstatSync(path).dev;
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(path + rel, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const d of names) {
      if (out.files + out.directories >= SUMMARY_LIMIT) {
        out.truncated = true;
        return out;
      }
      const child = `${rel}/${d.name}`;
      if (out.sample.length < 5) out.sample.push(child.slice(1));
      if (d.isDirectory()) {
        out.directories++;
        if (fs.lstatSync(path + child).dev === rootDev) stack.push(child);
      } else {
        out.files++;
        if (d.isFile()) out.bytes += fs.lstatSync(path + child).size;
      }
    }
  }
  return out;
}
