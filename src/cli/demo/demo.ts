// `keepsake demo`: a whole boot cycle in a throw-away mount namespace. Boot 1 mounts a fresh
// tmpfs as the root, applies a sample configuration from a temporary store and writes files
// in persisted and ephemeral places; boot 2 is a new namespace with a new tmpfs over the same
// store. Nothing outside the temporary directory is touched.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { applyPlan, preparePlan } from '../../apply/pipeline.js';
import { count } from '../../core/text.js';
import { formatLines } from '../../diff/format.js';
import { reportHomes, scanLiveSystem } from '../../diff/live.js';
import { SystemError } from '../../errors.js';
import { describeAction } from '../../plan/format.js';
import { loadMountBackend } from '../../system/mount-backend.js';
import {
  makeScratchDir,
  makeScratchSubdir,
  removeScratchDir,
  writeScratchFile,
} from '../../system/scratch.js';
import { createLiveSystem } from '../../system/system.js';
import type { Output } from '../output.js';
import { resolveInRoot } from './in-root.js';
import { DEMO_CONFIG, DEMO_WRITES, demoAccounts } from './scenario.js';

const STAGE = 'KEEPSAKE_DEMO_STAGE';
const DIR = 'KEEPSAKE_DEMO_DIR';
/** Set when the boot runs in a user namespace where only uid 0 is mapped. */
const MAPPED = 'KEEPSAKE_DEMO_USERNS';

export async function runDemo(opts: { keep: boolean }, out: Output): Promise<number> {
  const stage = process.env[STAGE];
  if (stage) return runBoot(Number(stage), process.env[DIR]!, out);
  const dir = makeScratchDir('keepsake-demo-', ['persist', 'root']);
  try {
    writeScratchFile(dir, `${dir}/keepsake.yaml`, DEMO_CONFIG);
    out.line(out.paint('bold', 'keepsake demo'));
    out.line(`A tmpfs is mounted as the root at ${dir}/root in a private mount namespace; the`);
    out.line(`store is ${dir}/persist, mounted at /persist. Configuration (${dir}/keepsake.yaml):`);
    out.line();
    for (const l of DEMO_CONFIG.trimEnd().split('\n')) out.line(out.paint('dim', `    ${l}`));
    for (const boot of [1, 2]) {
      out.line();
      out.line(
        out.paint(
          'bold',
          `── boot ${boot} ${boot === 1 ? '(first boot: the store is empty)' : '(reboot: a fresh tmpfs root, the same store)'}`,
        ),
      );
      const code = bootInNamespace(boot, dir);
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    if (opts.keep) out.product(`kept ${dir}`);
    else removeScratchDir(dir);
  }
}

/** Run one boot in a new private mount namespace (a user namespace too when not root). */
function bootInNamespace(boot: number, dir: string): number {
  const asRoot = process.getuid?.() === 0;
  const args = [
    ...(asRoot ? [] : ['--map-root-user']),
    '--mount',
    '--propagation',
    'private',
    process.execPath,
    process.argv[1]!,
    'demo',
  ];
  const r = spawnSync('unshare', args, {
    stdio: 'inherit',
    env: { ...process.env, [STAGE]: String(boot), [DIR]: dir, [MAPPED]: asRoot ? '' : '1' },
  });
  if (r.error)
    throw new SystemError(
      'spawn',
      (r.error as NodeJS.ErrnoException).code ?? 'error',
      'unshare',
      `cannot run unshare: ${r.error.message}`,
      'install util-linux',
    );
  if (r.status !== 0) {
    throw new SystemError(
      'unshare',
      String(r.status),
      dir,
      `boot ${boot} failed in its namespace (exit ${r.status})`,
      asRoot
        ? undefined
        : 'unprivileged user namespaces may be disabled here (kernel.unprivileged_userns_clone); run the demo as root',
    );
  }
  return 0;
}

async function runBoot(boot: number, dir: string, out: Output): Promise<number> {
  const root = `${dir}/root`;
  const mount = (args: string[]) => {
    const r = spawnSync('mount', ['-n', ...args], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new SystemError(
        'mount',
        String(r.status),
        args.at(-1)!,
        `mount ${args.join(' ')}: ${r.stderr.trim()}`,
      );
  };
  // The boot: a fresh tmpfs root with the persistent store mounted at /persist.
  mount(['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', root]);
  const accounts = demoAccounts(process.env[MAPPED] !== '1');
  for (const d of ['persist', 'home', 'tmp', 'run']) makeScratchSubdir(dir, `${root}/${d}`);
  writeScratchFile(dir, `${root}/etc/passwd`, accounts.passwd);
  writeScratchFile(dir, `${root}/etc/group`, accounts.group);
  mount(['--bind', `${dir}/persist`, `${root}/persist`]);

  const prepared = await preparePlan({ configFile: `${dir}/keepsake.yaml`, root });
  const { plan } = prepared;
  const { backend, notice } = loadMountBackend();
  if (notice) out.line(out.paint('yellow', notice));
  const result = applyPlan(
    prepared,
    createLiveSystem(backend, null),
    ({ outcome }) => {
      out.line(
        `  ${outcome.status === 'done' ? out.paint('green', '✓') : out.paint('red', outcome.status)} ${describeAction(outcome.action)}${outcome.error ? `: ${outcome.error.message}` : ''}`,
      );
    },
    new Date(),
  );
  if (!result.ok) return 1;
  out.line(
    `  keepsake apply: ${count(plan.actions.length, 'action')} for ${count(plan.entries.length, 'entry', 'entries')}`,
  );

  if (boot === 1) {
    out.line('  writing files as programs would:');
    for (const w of DEMO_WRITES) {
      // As a program of the booted system would: through the links keepsake made.
      writeScratchFile(dir, resolveInRoot(root, w.path), w.content);
      out.line(
        `    ${w.path.padEnd(36)} ${out.paint('dim', w.persisted ? '(declared)' : '(not declared)')}`,
      );
    }
    // What `keepsake diff` would say now: the undeclared writes are what the reboot wipes.
    out.line('  keepsake diff: what the next reboot would wipe');
    const report = scanLiveSystem(prepared.model, root, { paths: [], depth: 3, all: false });
    const shown = { sort: 'size' as const, minSize: 0, all: false, depth: 3 };
    for (const l of formatLines(report, { ...shown, homes: reportHomes(prepared.model) }))
      out.line(`    ${l}`);
    out.line('  power off: the namespace and its tmpfs root are gone');
    return 0;
  }
  out.line('  after the reboot:');
  let wrong = 0;
  for (const w of DEMO_WRITES) {
    const now = readOrNull(resolveInRoot(root, w.path));
    const survived = now === w.content;
    if (survived !== w.persisted) wrong++;
    const verdict = survived ? out.paint('green', 'survived') : out.paint('cyan', 'wiped   ');
    out.line(
      `    ${verdict}  ${w.path.padEnd(36)} ${out.paint('dim', w.persisted ? 'declared' : 'not declared')}`,
    );
  }
  const again = await preparePlan({ configFile: `${dir}/keepsake.yaml`, root });
  out.line(`  a second apply now plans ${again.plan.actions.length} actions (idempotent)`);
  if (wrong === 0)
    out.line(out.paint('green', 'declared files survived, everything else was wiped'));
  else out.trouble(out.paint('red', `${wrong} files did not behave as declared`));
  return wrong === 0 ? 0 : 1;
}

function readOrNull(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}
