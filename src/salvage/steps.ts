// The steps of a salvage, an expiry and a restore, named where each one ends, so that a
// test can kill keepsake (or stop it, to act meanwhile) at every one of them and check
// what is left. Without the switch (hooks.ts), a step costs one comparison.

import { hooks } from '../hooks.js';

let reached = 0;
const times = new Map<string, number>();

function matches(spec: string | undefined, name: string, count: number): boolean {
  if (spec === undefined) return false;
  const at = spec.lastIndexOf(':');
  if (at < 0) return Number(spec) === reached;
  return spec.slice(0, at) === name && Number(spec.slice(at + 1)) === count;
}

/** The step `name` is done. */
export function step(name: string): void {
  const h = hooks();
  if (h.salvageKillAt === undefined && h.salvageStopAt === undefined) return;
  reached++;
  const count = (times.get(name) ?? 0) + 1;
  times.set(name, count);
  if (matches(h.salvageKillAt, name, count)) process.kill(process.pid, 'SIGKILL');
  if (matches(h.salvageStopAt, name, count)) process.kill(process.pid, 'SIGSTOP');
}
