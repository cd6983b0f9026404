// Home-file generations, kept in the user's home store (`<state>/generations/NNNNNN.json`),
// not in the home: a home on tmpfs loses everything at boot, and the record is what lets the
// next apply find and remove the links an earlier one made.

import * as fs from 'node:fs';
import { replaceFile } from '../system/atomic-write.js';
import { makePrivateDir, removeRecord, removeStoredContent } from '../system/home-fs.js';
import type { HomeHistory } from './plan.js';
import { storeWriteError } from './store-write.js';
import { HOME_RECORD_VERSION, type HomeGeneration } from './types.js';

const dirOf = (state: string) => `${state}/generations`;
const nameOf = (n: number) => `${String(n).padStart(6, '0')}.json`;
const fileOf = (state: string, n: number) => `${dirOf(state)}/${nameOf(n)}`;

export function listHomeGenerations(state: string): HomeGeneration[] {
  let names: string[];
  try {
    names = fs.readdirSync(dirOf(state));
  } catch {
    return [];
  }
  const out: HomeGeneration[] = [];
  for (const name of names.sort()) {
    const m = /^(\d{6,})\.json$/.exec(name);
    if (!m) continue;
    try {
      const g = JSON.parse(fs.readFileSync(`${dirOf(state)}/${name}`, 'utf8')) as HomeGeneration;
      if (g.version === HOME_RECORD_VERSION && g.number === Number(m[1])) out.push(g);
    } catch {
      // A record cut short by a crash is not a generation.
    }
  }
  return out.sort((a, b) => a.number - b.number);
}

/** The last complete generation, and every interrupted one after it. */
export function historyOf(generations: readonly HomeGeneration[]): HomeHistory {
  let last = -1;
  generations.forEach((g, i) => {
    if (g.state === 'complete') last = i;
  });
  const since = generations.slice(Math.max(last, 0));
  const links = new Map<string, HomeGeneration['links'][number]>();
  for (const g of since) for (const l of g.links) links.set(`${l.target}\0${l.to}`, l);
  return {
    links: [...links.values()],
    directories: [...new Set(since.flatMap((g) => g.directories))],
    complete: last >= 0 ? (generations[last]?.links ?? []) : [],
  };
}

export function writeHomeGeneration(state: string, g: HomeGeneration): void {
  makePrivateDir(dirOf(state));
  try {
    replaceFile(dirOf(state), nameOf(g.number), `${JSON.stringify(g, null, 2)}\n`, {
      mode: 0o600,
    });
  } catch (thrown) {
    throw storeWriteError(thrown, state, `${dirOf(state)}/${nameOf(g.number)}`);
  }
}

export interface ExpireOptions {
  keep?: number;
  olderThanDays?: number;
  now: Date;
}

/**
 * Delete old generations (never the newest complete one, nor anything after it), then every
 * stored content no remaining generation links to. Returns the numbers deleted.
 */
export function expireHomeGenerations(state: string, options: ExpireOptions): number[] {
  const all = listHomeGenerations(state);
  const live = historyOf(all);
  const newestComplete = [...all].reverse().find((g) => g.state === 'complete')?.number ?? 0;
  const protectedFrom = newestComplete || (all[0]?.number ?? 0);
  const candidates = all.filter((g) => g.number < protectedFrom);
  const doomed = candidates.filter((g, i) => {
    const byCount = options.keep !== undefined && candidates.length - i >= options.keep;
    const cutoff = options.now.getTime() - (options.olderThanDays ?? 0) * 86_400_000;
    const byAge = options.olderThanDays !== undefined && Date.parse(g.appliedAt) < cutoff;
    return byCount || byAge;
  });
  // Never the newest complete generation nor any after it: the next apply needs only those.
  for (const g of doomed) removeRecord(fileOf(state, g.number));
  const kept = all.filter((g) => !doomed.includes(g));
  const used = new Set([...kept.flatMap((g) => g.links), ...live.links].map((l) => l.to));
  const area = `${state}/files`;
  for (const name of fs.existsSync(area) ? fs.readdirSync(area) : []) {
    const path = `${area}/${name}`;
    // Linked from no generation kept, nor from the home as the last applies left it.
    if (used.has(path)) continue;
    removeStoredContent(path);
  }
  return doomed.map((g) => g.number);
}
