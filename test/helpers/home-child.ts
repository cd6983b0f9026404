// Runs inside a private mount namespace (see home.ts): puts a passwd and group with a test
// user over the real ones (visible in this namespace only), a tmpfs over /run, then carries
// out the steps and prints one JSON line with their results.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { HomeSpec, HomeStepResult } from './home.js';
import { inspect } from './inspect.js';

function mount(args: string[]) {
  const r = spawnSync('mount', ['-n', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount ${args.join(' ')}: ${r.stderr}`);
}

const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as HomeSpec;
mount(['--bind', `${spec.dir}/passwd`, '/etc/passwd']);
mount(['--bind', `${spec.dir}/group`, '/etc/group']);
mount(['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/run']);

const env = { ...process.env, DIR: spec.dir, HOME_DIR: spec.home, NO_COLOR: '1' };
const results: HomeStepResult[] = [];
for (const step of spec.steps) {
  switch (step.do) {
    case 'user':
    case 'root': {
      const cli = [process.execPath, spec.cli, ...step.args, '--config', spec.config];
      const cmd =
        step.do === 'user'
          ? ['setpriv', `--reuid=${spec.uid}`, `--regid=${spec.uid}`, '--init-groups', '--', ...cli]
          : cli;
      const r = spawnSync(cmd[0]!, cmd.slice(1), {
        encoding: 'utf8',
        cwd: '/',
        env: {
          ...env,
          ...(step.do === 'user' ? { HOME: spec.home, USER: 'tester' } : {}),
          ...step.env,
        },
      });
      results.push({ do: step.do, status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
      break;
    }
    case 'sh': {
      const r = spawnSync('/bin/sh', ['-c', step.cmd], { encoding: 'utf8', env });
      if (r.status !== 0 && !step.mayFail)
        throw new Error(`sh ${step.cmd}: status ${r.status}: ${r.stderr}`);
      results.push({ do: 'sh', status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
      break;
    }
    case 'inspect': {
      const paths: Record<string, ReturnType<typeof inspect>> = {};
      for (const p of step.paths) paths[p] = inspect(p.replace(/^~/, spec.home));
      results.push({ do: 'inspect', paths });
      break;
    }
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
