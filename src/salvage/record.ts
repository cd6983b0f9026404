// The salvage record, `<store>/.keepsake/salvage/<boot>/salvage.json`: what one shutdown kept
// and what it left, in a format other tools read (keep it exactly). It is written first with
// `complete: false`, and replaced by the final record only once every copy is on disk, each
// time atomically (temp file, fsync, rename, fsync of the directory): a salvage cut short at
// any point reads as partial, never as complete.

import * as fs from 'node:fs';
import { hostPath } from '../core/paths.js';
import { childPath } from '../orphans/find.js';
import { writeFileAtomicSafe } from '../system/safe-fs.js';
import { isBootName } from './boot.js';
import { step } from './steps.js';

export interface SalvagedFile {
  path: string;
  size: number;
  mtime: string;
  uid: number;
  gid: number;
  mode: number;
  type: 'file' | 'link';
}

export interface SkippedFile {
  path: string;
  size: number;
  reason: string;
}

export interface SalvageRecord {
  version: 1;
  boot: string;
  bootId: string;
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  bytes: number;
  files: SalvagedFile[];
  skipped: SkippedFile[];
}

export const RECORD_FILE = 'salvage.json';
export const FILES_DIR = 'files';

/** `<store>/.keepsake/salvage`, as the booted system sees it. */
export function salvageDir(store: string): string {
  return childPath(store, '.keepsake/salvage');
}

/** The record in the fixed key order of the format. */
export function serialise(r: SalvageRecord): string {
  const ordered: SalvageRecord = {
    version: 1,
    boot: r.boot,
    bootId: r.bootId,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    complete: r.complete,
    bytes: r.bytes,
    files: r.files.map((f) => ({
      path: f.path,
      size: f.size,
      mtime: f.mtime,
      uid: f.uid,
      gid: f.gid,
      mode: f.mode,
      type: f.type,
    })),
    skipped: r.skipped.map((s) => ({ path: s.path, size: s.size, reason: s.reason })),
  };
  return `${JSON.stringify(ordered)}\n`;
}

/**
 * Replaces the record (host path of the boot's directory) atomically; root-only. Invariant:
 * a reader sees the earlier record or this one whole (a kill leaves at most a temporary
 * `.salvage.json.*.tmp`, which no reader opens and the next salvage of the boot removes).
 */
export function writeRecord(bootDirHost: string, record: SalvageRecord): void {
  writeFileAtomicSafe(`${bootDirHost}/${RECORD_FILE}`, serialise(record), 0o600, () =>
    step('salvage-record-written'),
  );
}

export interface StoredSalvage {
  /** The boot directory's name. */
  boot: string;
  /** Undefined when the record is missing or unreadable (a salvage killed before it began). */
  record: SalvageRecord | undefined;
  problem?: string;
}

function parseRecord(text: string): SalvageRecord | undefined {
  const v = JSON.parse(text) as SalvageRecord;
  if (v?.version !== 1 || !Array.isArray(v.files) || !Array.isArray(v.skipped)) return undefined;
  return v;
}

/**
 * Every salvage in a store, oldest first. Only reads; a link planted where the salvage
 * directory or a boot's directory should be is reported, never followed.
 */
export function listSalvages(root: string, store: string): StoredSalvage[] {
  const dir = hostPath(root, salvageDir(store));
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st === undefined || !st.isDirectory()) return [];
  const out: StoredSalvage[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!isBootName(name)) continue;
    const boot = `${dir}/${name}`;
    if (!fs.lstatSync(boot).isDirectory()) continue;
    const file = `${boot}/${RECORD_FILE}`;
    try {
      const fst = fs.lstatSync(file, { throwIfNoEntry: false });
      if (fst === undefined) {
        out.push({ boot: name, record: undefined, problem: 'no record: cut short as it began' });
        continue;
      }
      if (!fst.isFile()) {
        out.push({ boot: name, record: undefined, problem: 'its record is not a regular file' });
        continue;
      }
      const record = parseRecord(fs.readFileSync(file, 'utf8'));
      out.push(
        record
          ? { boot: name, record }
          : { boot: name, record: undefined, problem: 'its record is not one keepsake wrote' },
      );
    } catch (error) {
      out.push({ boot: name, record: undefined, problem: `unreadable: ${String(error)}` });
    }
  }
  return out;
}
