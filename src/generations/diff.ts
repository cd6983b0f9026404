// What changed between two generations' setups. Pure.

import type { PersistEntry } from '../model/types.js';
import type { Generation } from '../plan/generation.js';

export interface EntryChange {
  target: string;
  /** Which facts differ, each as `field: before → after`. */
  changes: string[];
}

export interface GenerationDiff {
  from: number;
  to: number;
  added: PersistEntry[];
  removed: PersistEntry[];
  changed: EntryChange[];
}

const octal = (m: number) => m.toString(8).padStart(4, '0');

function describeChanges(a: PersistEntry, b: PersistEntry): string[] {
  const out: string[] = [];
  const field = (name: string, x: string, y: string) => {
    if (x !== y) out.push(`${name}: ${x} → ${y}`);
  };
  field('kind', a.kind, b.kind);
  field('store', a.store, b.store);
  field('method', a.method, b.method);
  field('owner', `${a.owner.uid}:${a.owner.gid}`, `${b.owner.uid}:${b.owner.gid}`);
  field('mode', octal(a.owner.mode), octal(b.owner.mode));
  field('hideMount', String(a.hideMount), String(b.hideMount));
  field('allowTrash', String(a.allowTrash), String(b.allowTrash));
  return out;
}

export function diffGenerations(a: Generation, b: Generation): GenerationDiff {
  const before = new Map(a.model.entries.map((e) => [e.target, e]));
  const after = new Map(b.model.entries.map((e) => [e.target, e]));
  const changed: EntryChange[] = [];
  for (const [target, e] of after) {
    const old = before.get(target);
    const changes = old ? describeChanges(old, e) : [];
    if (changes.length > 0) changed.push({ target, changes });
  }
  return {
    from: a.number,
    to: b.number,
    added: [...after.values()].filter((e) => !before.has(e.target)),
    removed: [...before.values()].filter((e) => !after.has(e.target)),
    changed,
  };
}
