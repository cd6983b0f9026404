// The steps of a salvage, an expiry and a restore, named where each one ends, so that a
// test can kill keepsake (or stop it, to act meanwhile) at every one of them and check what is
// left: KEEPSAKE_TEST_KILL_AT (or _STOP_AT) `salvage:N` is the Nth step of any name,
// `<name>:N` the Nth time the step `name` is reached (hooks.ts). Without them, a step costs a
// map lookup.

import { stepCounter } from '../hooks.js';

const counters = new Map<string, () => void>();

function counter(where: string): () => void {
  let c = counters.get(where);
  if (c === undefined) {
    c = stepCounter(where);
    counters.set(where, c);
  }
  return c;
}

/** The step `name` is done. */
export function step(name: string): void {
  counter('salvage')();
  counter(name)();
}
