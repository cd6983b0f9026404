// Runs a compiled script inside a private mount namespace, so nothing it mounts is ever seen
// by (or propagated to) this machine's own namespace. Child scripts print one JSON line.

import { spawnSync } from 'node:child_process';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runInNamespace(scriptPath: string, args: string[]): RunResult {
  const result = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', process.execPath, scriptPath, ...args],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.error ? `${result.stderr ?? ''}${result.error.message}` : (result.stderr ?? ''),
  };
}

let problem: string | null | undefined;

/** Why mount namespaces cannot be used here, or null when they can. */
export function namespaceProblem(): string | null {
  if (problem === undefined) {
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], {
      encoding: 'utf8',
    });
    problem =
      r.status === 0
        ? null
        : `cannot create a mount namespace (unshare -m): ${(r.error?.message ?? r.stderr).trim()}`;
  }
  return problem;
}

/**
 * The `skip` option for a suite that needs something: skipped with the reason locally, but
 * run (to fail in its `before` hook) under CI, where a missing capability is a defect.
 */
export function skipUnlessCI(reason: string | null): string | false {
  return reason !== null && process.env.CI !== 'true' ? reason : false;
}

/** Child side: the one JSON line the parent reads. */
export function emit(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Parent side: the child's JSON line, or an error carrying everything the child said. */
export function readChildJson<T>(result: RunResult): T {
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(
      `child printed no JSON (status ${result.status})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
}
