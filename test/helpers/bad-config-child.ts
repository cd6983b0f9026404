// Runs `keepsake check` and `keepsake plan` on many configuration files in one process, through
// the command line's own entry point, and reports for each: the exit status, the time taken, what
// was printed, and whether the root's tree or the mount table changed.
// Usage: node bad-config-child.js <cases.json> <results.json>

import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Input {
  root: string;
  files: string[];
}

export interface RunResult {
  file: string;
  command: string;
  status: number;
  ms: number;
  stdout: string;
  stderr: string;
  changed: string | undefined;
}

/** Every path under `dir` with its type, mode, owner, size and modification time. */
function tree(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    out.push(`${p} ${st.mode} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs}`);
    if (st.isDirectory()) tree(p, out);
  }
  return out;
}

const mounts = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ').slice(0, 10).join(' '))
    .join('\n');

// The command line as bin/keepsake.js runs it: the bundle when it is built, else the modules.
type Main = (argv: string[]) => Promise<number>;
const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, '../../bundle/keepsake.js');
const { main } = (await import(existsSync(bundle) ? bundle : '../../src/cli/main.js')) as {
  main: Main;
};

const [inputFile, resultFile] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputFile!, 'utf8')) as Input;
let stdout = '';
let stderr = '';
const capture =
  (to: 'out' | 'err') =>
  (chunk: string | Uint8Array): boolean => {
    const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (to === 'out') stdout += s;
    else stderr += s;
    return true;
  };
process.stdout.write = capture('out') as typeof process.stdout.write;
process.stderr.write = capture('err') as typeof process.stderr.write;

const results: RunResult[] = [];
const treeBefore = tree(input.root).join('\n');
const mountsBefore = mounts();
for (const file of input.files) {
  for (const command of ['check', 'plan']) {
    stdout = '';
    stderr = '';
    const start = performance.now();
    const status = await main([
      'node',
      'keepsake',
      command,
      '--config',
      file,
      '--root',
      input.root,
    ]);
    const ms = performance.now() - start;
    const changed =
      tree(input.root).join('\n') !== treeBefore
        ? 'the root changed'
        : mounts() !== mountsBefore
          ? 'the mount table changed'
          : undefined;
    results.push({
      file,
      command,
      status,
      ms,
      stdout: stdout.slice(0, 4000),
      stderr: stderr.slice(0, 20000),
      changed,
    });
  }
}
writeFileSync(resultFile!, JSON.stringify(results));
