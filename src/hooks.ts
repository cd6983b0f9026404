// The switches that let tests and the benchmark reach inside keepsake: where to inject a
// fault or a kill, how long to hold a lock or pause a write, which mount backend or directory
// reader to use, whether to report the phases. They are read from the environment here, once,
// when keepsake starts (cli/entry.ts), and handed to the code that acts on them; no other
// module reads a KEEPSAKE_* variable of this kind.

export interface Hooks {
  /** KEEPSAKE_FAIL_AT_ACTION: make the apply step with this index fail. */
  failAtAction?: string;
  /** KEEPSAKE_KILL_AFTER_ACTION: SIGKILL keepsake after the step with this index. */
  killAfterAction?: string;
  /** KEEPSAKE_KILL_IN_MOVE: SIGKILL keepsake at this point of a move of data. */
  killInMove?: string;
  /** KEEPSAKE_MOUNT_BACKEND: `native` or `exec` (mount(8)). */
  mountBackend?: string;
  /** KEEPSAKE_SCAN: `node` reads directories without the addon. */
  scan?: string;
  /** KEEPSAKE_STEPS: `js` runs every apply step through safe-fs.ts, none in the addon. */
  steps?: string;
  /** KEEPSAKE_PHASES=1: a JSON line of phase times on stderr at exit. */
  phases: boolean;
  /** KEEPSAKE_TEST_HOLD_LOCK_MS: hold apply's lock this long before planning. */
  holdLockMs: number;
  /** KEEPSAKE_TEST_METRICS_PAUSE_MS: pause between writing keepsake.prom and renaming it. */
  metricsPauseMs: number;
  /** KEEPSAKE_TEST_SALVAGE_KILL_AFTER: SIGKILL a salvage after this many files. */
  salvageKillAfter?: string;
  /** KEEPSAKE_TEST_HOME_STOP_AFTER: stop a home apply after this many steps. */
  homeStopAfter?: string;
  /** KEEPSAKE_TEST_KILL_AT=<where>:<n>: SIGKILL keepsake after the nth step of `where`. */
  killAt?: string;
  /** KEEPSAKE_TEST_STOP_AT=<where>:<n>: SIGSTOP keepsake after the nth step of `where`
   *  (the test changes the system, then sends SIGCONT). */
  stopAt?: string;
}

export function readHooks(env: NodeJS.ProcessEnv): Hooks {
  const hooks: Hooks = {
    phases: env.KEEPSAKE_PHASES === '1',
    holdLockMs: Number(env.KEEPSAKE_TEST_HOLD_LOCK_MS ?? 0) || 0,
    metricsPauseMs: Number(env.KEEPSAKE_TEST_METRICS_PAUSE_MS ?? 0) || 0,
  };
  const set = (key: keyof Hooks, name: string) => {
    const v = env[name];
    if (v) (hooks as unknown as Record<string, string>)[key] = v;
  };
  set('failAtAction', 'KEEPSAKE_FAIL_AT_ACTION');
  set('killAfterAction', 'KEEPSAKE_KILL_AFTER_ACTION');
  set('killInMove', 'KEEPSAKE_KILL_IN_MOVE');
  set('mountBackend', 'KEEPSAKE_MOUNT_BACKEND');
  set('scan', 'KEEPSAKE_SCAN');
  set('steps', 'KEEPSAKE_STEPS');
  set('salvageKillAfter', 'KEEPSAKE_TEST_SALVAGE_KILL_AFTER');
  set('homeStopAfter', 'KEEPSAKE_TEST_HOME_STOP_AFTER');
  set('killAt', 'KEEPSAKE_TEST_KILL_AT');
  set('stopAt', 'KEEPSAKE_TEST_STOP_AT');
  return hooks;
}

/** Whether any switch that reaches inside keepsake is set (the phase report is only a report). */
export function anyTestHook(h: Hooks): boolean {
  for (const [key, value] of Object.entries(h)) {
    if (key !== 'phases' && value !== undefined && value !== 0) return true;
  }
  return false;
}

let current: Hooks | undefined;

/** The entry point's reading of the environment, for the rest of the process. */
export function setHooks(hooks: Hooks): void {
  current = hooks;
}

/**
 * The hooks of this process. Entry points other than the command line (the library, test
 * helpers that call modules directly) get the environment as it is at the first use.
 */
export function hooks(): Hooks {
  current ??= readHooks(process.env);
  return current;
}

/** The step number `spec` (`<where>:<n>`) names for `where`, if any. */
function stepOf(spec: string | undefined, where: string): number | undefined {
  if (!spec?.startsWith(`${where}:`)) return undefined;
  const n = Number(spec.slice(where.length + 1));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * A counter of the steps of `where` (e.g. each deletion of a prune) that kills or stops this
 * process at the step `killAt`/`stopAt` names; a no-op when neither names `where`.
 */
export function stepCounter(where: string): () => void {
  const kill = stepOf(hooks().killAt, where);
  const stop = stepOf(hooks().stopAt, where);
  if (kill === undefined && stop === undefined) return () => {};
  let steps = 0;
  return () => {
    steps++;
    if (steps === stop) process.kill(process.pid, 'SIGSTOP');
    if (steps === kill) process.kill(process.pid, 'SIGKILL');
  };
}
