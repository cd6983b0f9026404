// Reads a V8 .cpuprofile and lists where the time went: self time by function, and total
// (inclusive) time for keepsake's own functions.

import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  where: string;
  ms: number;
}

export interface ProfileSummary {
  totalMs: number;
  self: FunctionTime[];
  /** Inclusive time of functions from keepsake's src/. */
  inclusive: FunctionTime[];
}

function label(node: ProfileNode, repo: string): { key: string; name: string; where: string } {
  const f = node.callFrame;
  const name = f.functionName || '(anonymous)';
  let url = f.url.replace(/^file:\/\//, '');
  if (url.startsWith(repo)) url = url.slice(repo.length + 1);
  const where = url === '' ? '' : `${url}:${f.lineNumber + 1}`;
  return { key: `${name} ${where}`, name, where };
}

export function summarizeProfile(file: string, repo: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, FunctionTime>();
  const inclusive = new Map<string, FunctionTime>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    // A sample's delta is the time since the previous one: charge it to this sample.
    const us = profile.timeDeltas[i] ?? 0;
    totalUs += us;
    const node = byId.get(id);
    if (!node) return;
    const l = label(node, repo);
    const s = self.get(l.key) ?? { name: l.name, where: l.where, ms: 0 };
    s.ms += us / 1000;
    self.set(l.key, s);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const k = label(n, repo);
      if (seen.has(k.key) || !k.where.startsWith('dist/src/')) continue;
      seen.add(k.key);
      const t = inclusive.get(k.key) ?? { name: k.name, where: k.where, ms: 0 };
      t.ms += us / 1000;
      inclusive.set(k.key, t);
    }
  });
  const sorted = (m: Map<string, FunctionTime>) =>
    [...m.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
  return { totalMs: totalUs / 1000, self: sorted(self), inclusive: sorted(inclusive) };
}
