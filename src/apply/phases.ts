// keepsake's own account of where a run's time goes, asked for with KEEPSAKE_PHASES=1: each
// phase is the time from the end of the previous one, `start` from the process's own start
// (Node's start-up, loading keepsake's code, reading the command line and taking the lock),
// `output` to the process's exit; and the page faults of each (memory touched for the first
// time: about 11 µs each on a small virtual machine, a large part of a short run's time).
// One JSON line on stderr at exit:
//   {"phases":{"start":61.2,"config":20.1,"observe":3.4,"plan":9.8,"execute":80.3,
//    "record":2.1,"output":4.0},"totalMs":181,"faults":{"start":2510,"config":420,...}}
// Off, every call is one comparison.

import { writeSync } from 'node:fs';
import { hooks } from '../hooks.js';

const enabled = () => hooks().phases;
/** Milliseconds since the process started (no module to load, unlike perf_hooks). */
export const phaseClock = () => process.uptime() * 1000;
const now = phaseClock;
const times: Record<string, number> = {};
const faults: Record<string, number> = {};
let last = 0;
let lastFaults = 0;

/** The phase `name` ends now, or at `t` (a phase that ends several times adds up). */
export function phaseDone(name: string, t = now()): void {
  if (!enabled()) return;
  if (last === 0) process.once('exit', report);
  times[name] = (times[name] ?? 0) + (t - last);
  last = t;
  const f = process.resourceUsage().minorPageFault;
  faults[name] = (faults[name] ?? 0) + (f - lastFaults);
  lastFaults = f;
}

function report() {
  // One moment ends the last phase and the whole run: read again after the line's objects were
  // made, the clock let a collection or a busy machine's scheduler put time in neither.
  const end = now();
  phaseDone('output', end);
  const phases: Record<string, number> = {};
  for (const [k, v] of Object.entries(times)) phases[k] = Math.round(v * 10) / 10;
  const line = JSON.stringify({ phases, totalMs: Math.round(end), faults });
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr is gone: there is no one to tell
  }
}
