// Runs inside a private mount namespace (see boot.ts): one boot of a test system.
// Mounts a fresh tmpfs as the root, mounts each persistent "disk" at its store path, then
// carries out the steps and prints one JSON line with their results.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveInRoot } from '../../src/cli/demo/in-root.js';
import type { BootSpec, StepResult } from './boot.js';
import { inspect } from './inspect.js';

function sh(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as BootSpec;
const root = spec.root;
if (spec.rootDisk) sh('mount', ['-n', '--bind', spec.rootDisk, root]);
else sh('mount', ['-n', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', root]);
for (const d of ['etc', 'run', 'tmp']) fs.mkdirSync(`${root}/${d}`, { recursive: true });
fs.writeFileSync(`${root}/etc/passwd`, spec.passwd);
fs.writeFileSync(`${root}/etc/group`, spec.group);
for (const [store, disk] of Object.entries(spec.disks)) {
  fs.mkdirSync(root + store, { recursive: true });
  sh('mount', ['-n', '--bind', disk, root + store]);
}
const results: StepResult[] = [];
for (const step of spec.steps) {
  const at = (p: string) => root + p;
  switch (step.do) {
    case 'apply': {
      const args = [
        spec.cli,
        step.command ?? 'apply',
        '--root',
        root,
        '--config',
        spec.config,
        ...(step.args ?? []),
      ];
      const r = spawnSync(process.execPath, args, {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', ...step.env },
      });
      results.push({ do: 'apply', status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
      break;
    }
    case 'write':
      {
        const real = resolveInRoot(root, step.path);
        fs.mkdirSync(path.dirname(real), { recursive: true });
        fs.writeFileSync(real, step.content);
        if (step.uid !== undefined) fs.chownSync(real, step.uid, step.uid);
      }
      results.push({ do: 'write' });
      break;
    case 'sh': {
      const r = spawnSync('sh', ['-c', step.cmd], {
        encoding: 'utf8',
        env: { ...process.env, ROOT: root },
      });
      results.push({ do: 'sh', status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
      break;
    }
    case 'remove':
      fs.rmSync(at(step.path), { recursive: true, force: true });
      results.push({ do: 'remove' });
      break;
    case 'set-config':
      fs.writeFileSync(spec.config, step.text);
      results.push({ do: 'set-config' });
      break;
    case 'mkdir':
      fs.mkdirSync(at(step.path), { recursive: true, mode: 0o755 });
      results.push({ do: 'mkdir' });
      break;
    case 'symlink':
      fs.mkdirSync(path.dirname(at(step.path)), { recursive: true });
      fs.symlinkSync(step.to, at(step.path));
      results.push({ do: 'symlink' });
      break;
    case 'inspect': {
      const out: Record<string, ReturnType<typeof inspect>> = {};
      // Parents are resolved as in a chroot at the root; the last component is not followed.
      for (const p of step.paths) {
        out[p] = inspect(
          p === '/' ? root : `${resolveInRoot(root, path.dirname(p))}/${path.basename(p)}`,
        );
      }
      results.push({ do: 'inspect', paths: out });
      break;
    }
    case 'apply-twice-at-once': {
      const args = [spec.cli, 'apply', '--root', root, '--config', spec.config];
      const env = { ...process.env, NO_COLOR: '1' };
      const firstEnv = { ...env, KEEPSAKE_TEST_HOLD_LOCK_MS: String(step.holdMs) };
      const first = spawn(process.execPath, args, {
        env: firstEnv,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let firstErr = '';
      first.stderr.on('data', (d) => {
        firstErr += d;
      });
      const firstDone = new Promise<number>((resolve) =>
        first.on('close', (c) => resolve(c ?? -1)),
      );
      await new Promise((r) => setTimeout(r, Math.min(500, step.holdMs / 3)));
      const second = spawnSync(process.execPath, args, { encoding: 'utf8', env });
      results.push({
        do: 'apply-twice-at-once',
        first: { status: await firstDone, stderr: firstErr },
        second: { status: second.status ?? -1, stderr: second.stderr },
      });
      break;
    }
    case 'mounts': {
      const lines = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
      const points = lines
        .map((l) => l.split(' ')[4] ?? '')
        .filter((p) => p.startsWith(`${root}/`))
        .map((p) => p.slice(root.length).replace(/\\040/g, ' '));
      const utab = fs.existsSync(`${root}/run/mount/utab`)
        ? fs.readFileSync(`${root}/run/mount/utab`, 'utf8')
        : '';
      results.push({ do: 'mounts', points, utab });
      break;
    }
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
