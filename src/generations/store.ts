// Reading and writing generations. History lives in each store only root can write
// (`<store>/.keepsake/generations/NNNNNN.json`); what this boot has applied lives in
// `<root>/run/keepsake/applied.json`, which vanishes with the boot exactly as the mounts do,
// so the next apply knows what is live and may be taken down.

import * as fs from 'node:fs';
import { hostPath } from '../core/paths.js';
import { type PackedEntries, unpackEntries } from '../model/pack.js';
import type { Model } from '../model/types.js';
import { GENERATION_VERSION, type Generation, type GenerationSummary } from '../plan/generation.js';
import { sha256Hex } from '../system/digest.js';
import { byteLengthOf, type FileContent } from '../system/file-content.js';
import { lstatOrNull } from '../system/safe-fs.js';

export const APPLIED = '/run/keepsake/applied.json';
const DIR = '.keepsake/generations';

/** Only files and directories that root alone can write are believed. */
function trusted(path: string, dir: boolean): boolean {
  const st = lstatOrNull(path);
  return !!st && (dir ? st.isDirectory() : st.isFile()) && st.uid === 0 && (st.mode & 0o022) === 0;
}

function readJson(path: string): Generation | undefined {
  if (!trusted(path, false)) return undefined;
  try {
    const g = JSON.parse(fs.readFileSync(path, 'utf8')) as Generation;
    // Version 2 keeps the model's entries packed (src/model/pack.ts); version 1, written by
    // earlier releases, as plain JSON. Either is read back as the model that was applied.
    if (g.version !== GENERATION_VERSION && g.version !== 1) return undefined;
    const entries = g.model?.entries as unknown;
    if (entries !== undefined && !Array.isArray(entries)) {
      g.model = { ...g.model, entries: unpackEntries(entries as PackedEntries) };
    }
    return g;
  } catch {
    return undefined;
  }
}

export function generationDir(root: string, store: string): string {
  return hostPath(root, `${store}/${DIR}`);
}

export function generationFile(number: number): string {
  return `${String(number).padStart(6, '0')}.json`;
}

/**
 * Beside each generation, `NNNNNN.setup`: its setup digest and the byte size of its record,
 * so that deciding whether a setup changed needs no read of the whole record (megabytes for
 * a large configuration, and at every boot). A sidecar that does not match its record's size
 * is not believed.
 */
export function setupFile(number: number): string {
  return `${String(number).padStart(6, '0')}.setup`;
}

/** The line of a setup sidecar for a record of `json` (its text, or the bytes of its file). */
export function setupLine(setup: string, json: FileContent): string {
  return `${setup} ${byteLengthOf(json)}\n`;
}

/** The setup digest of generation `number`: from its sidecar, else from the record itself. */
export function setupOfGeneration(
  root: string,
  stores: readonly string[],
  number: number,
): string | undefined {
  for (const store of numbersIn(root, stores).get(number) ?? []) {
    const dir = generationDir(root, store);
    const record = lstatOrNull(`${dir}/${generationFile(number)}`);
    const sidecar = `${dir}/${setupFile(number)}`;
    if (!record?.isFile() || !trusted(sidecar, false)) continue;
    const [setup, size] = fs.readFileSync(sidecar, 'utf8').trim().split(' ');
    if (setup && /^[0-9a-f]{64}$/.test(setup) && Number(size) === record.size) return setup;
  }
  const g = readGeneration(root, stores, number);
  return g ? setupOf(g.model) : undefined;
}

/** Generation numbers found in each store. */
function numbersIn(root: string, stores: readonly string[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const store of stores) {
    const dir = generationDir(root, store);
    if (!trusted(hostPath(root, `${store}/.keepsake`), true) || !trusted(dir, true)) continue;
    for (const name of fs.readdirSync(dir)) {
      const m = /^(\d{6,})\.json$/.exec(name);
      if (!m) continue;
      const n = Number(m[1]);
      out.set(n, [...(out.get(n) ?? []), store]);
    }
  }
  return out;
}

export function readGeneration(
  root: string,
  stores: readonly string[],
  number: number,
): Generation | undefined {
  for (const store of numbersIn(root, stores).get(number) ?? []) {
    const g = readJson(`${generationDir(root, store)}/${generationFile(number)}`);
    if (g) return g;
  }
  return undefined;
}

export function latestNumber(root: string, stores: readonly string[]): number {
  return Math.max(0, ...numbersIn(root, stores).keys());
}

export function listGenerations(root: string, stores: readonly string[]): GenerationSummary[] {
  const out: GenerationSummary[] = [];
  for (const [number, holders] of [...numbersIn(root, stores)].sort((a, b) => a[0] - b[0])) {
    const g = readGeneration(root, holders, number);
    if (!g) continue;
    out.push({
      number,
      appliedAt: g.appliedAt,
      keepsake: g.keepsake,
      configFile: g.configFile,
      entries: g.model.entries.length,
      actions: g.actions.length,
      ...(g.rollbackOf ? { rollbackOf: g.rollbackOf } : {}),
      stores: holders,
    });
  }
  return out;
}

/** What the last apply of this boot set up, if anything. */
export function readApplied(root: string): Generation | undefined {
  return readJson(hostPath(root, APPLIED));
}

const setups = new WeakMap<Model, string>();

/** A digest of what a model sets up (not where in the file it was written). */
export function setupOf(model: Model): string {
  let h = setups.get(model);
  if (!h) {
    const shape = JSON.stringify(model.entries.map(({ source: _s, ...rest }) => rest));
    h = sha256Hex(shape);
    setups.set(model, h);
  }
  return h;
}

/** Prime the digest of a model read back from a cache that stored it. */
export function knownSetup(model: Model, setup: string): void {
  setups.set(model, setup);
}

/** The small summary beside applied.json: which generation is live, its setup digest, and how
 *  many declared entries its apply skipped (`--keep-going`). */
export function readLiveSummary(
  root: string,
): { number: number; setup: string; skipped: number } | undefined {
  const path = hostPath(root, `${APPLIED}.sum`);
  if (!trusted(path, false)) return undefined;
  const [n, setup, skipped] = fs.readFileSync(path, 'utf8').trim().split(' ');
  return n && setup ? { number: Number(n), setup, skipped: Number(skipped ?? 0) || 0 } : undefined;
}
