// Plans one configuration in the three situations an apply meets, on a real root in a private
// mount namespace (started by runInNamespace; never mounts in the caller's namespace):
//   first: an empty root, stores holding only the stored copies of files;
//   noop:  the same root once applied (everything mounted and linked);
//   boot:  a new empty root, the stores as the first apply left them.
// For each it writes the plan, with the root replaced by `<root>` (and the
// temporary directory by `<dir>`), to `<dir>/situations.json`
// (too large for a pipe), with any answer of the mount table queries that differs from a
// plain scan of the same table.
// Usage: plan-situations-child.js <empty temp dir> <case file: {config, passwd, group, files}>.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { preparePlan } from '../../src/apply/pipeline.js';
import { mountContaining, sourceOf, stackAt, topMountAt } from '../../src/core/mount-table.js';
import { ancestorsOf, hostPath } from '../../src/core/paths.js';
import type { MountInfo } from '../../src/model/observed.js';
import type { Model } from '../../src/model/types.js';
import { observe } from '../../src/observe/observe.js';
import { buildPlan } from '../../src/plan/build.js';
import { readMountInfo } from '../../src/system/mountinfo.js';
import { emit } from './ns-run.js';
import { plainContaining } from './plan-layout.js';

interface Case {
  config: string;
  passwd: string;
  group: string;
}

const keepsake = fileURLToPath(new URL('../../../bin/keepsake.js', import.meta.url));

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

// -n: nothing of these mounts goes to utab, which is not per namespace.
const mountTmpfs = (name: string, at: string) => run('mount', ['-n', '-t', 'tmpfs', name, at]);
const bind = (from: string, to: string) => run('mount', ['-n', '--bind', from, to]);

function plainSource(mounts: MountInfo[], path: string) {
  const p = path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
  const m = plainContaining(mounts, p);
  if (!m) return undefined;
  const rest = m.mountPoint === '/' ? p : p.slice(m.mountPoint.length);
  if (rest === '' || rest === '/') return { device: m.device, root: m.root };
  return { device: m.device, root: m.root === '/' ? rest : `${m.root}${rest}` };
}

/** Every path the planner asks the table about, and its ancestors, with and without a
 *  trailing slash, in an order that differs from the table's and from one pass to the next. */
function tableMismatches(root: string, model: Model): string[] {
  const mounts = readMountInfo();
  const paths = new Set<string>([root]);
  for (const e of model.entries) {
    for (const p of [e.target, e.store]) {
      const host = hostPath(root, p);
      paths.add(host);
      paths.add(`${host}/`);
      for (const a of ancestorsOf(host)) paths.add(a);
    }
  }
  const list = [...paths];
  const out: string[] = [];
  for (const order of [list.slice().reverse(), list]) {
    for (const p of order) {
      const want = plainContaining(mounts, p);
      if (mountContaining(mounts, p) !== want) out.push(`mountContaining ${p}`);
      if (JSON.stringify(sourceOf(mounts, p)) !== JSON.stringify(plainSource(mounts, p))) {
        out.push(`sourceOf ${p}`);
      }
      const stack = stackAt(mounts, p);
      if (stack.at(-1) !== topMountAt(mounts, p)) out.push(`stackAt ${p}`);
    }
  }
  return out.slice(0, 20);
}

async function main() {
  const [base, caseFile] = process.argv.slice(2);
  if (!base || !caseFile) throw new Error('usage: plan-situations-child.js <dir> <case.json>');
  const c = JSON.parse(fs.readFileSync(caseFile, 'utf8')) as Case;
  const root = path.join(base, 'root');
  const configFile = path.join(base, 'keepsake.yaml');
  fs.mkdirSync(root);
  fs.writeFileSync(configFile, c.config);
  mountTmpfs('plan-root', root);

  const accounts = () => {
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'run'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/passwd'), c.passwd);
    fs.writeFileSync(path.join(root, 'etc/group'), c.group);
  };
  accounts();
  const stores = (await preparePlan({ root, configFile })).model.stores;
  const kept = stores.map((s, i) => {
    const dir = path.join(base, `store${i}`);
    fs.mkdirSync(dir);
    mountTmpfs(`plan-store${i}`, dir);
    return { store: s, dir };
  });
  const bindStores = () => {
    for (const k of kept) {
      const at = hostPath(root, k.store);
      fs.mkdirSync(at, { recursive: true });
      bind(k.dir, at);
    }
  };
  bindStores();
  // The stored copies of files exist, as they do once the system has run.
  const model = (await preparePlan({ root, configFile })).model;
  for (const e of model.entries.filter((e) => e.kind === 'file')) {
    const at = hostPath(root, e.store);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.writeFileSync(at, `${e.id}\n`);
  }

  const situation = async () => {
    const prepared = await preparePlan({ root, configFile });
    const plan = buildPlan(prepared.model, observe(root), prepared.previous, {
      backupTag: 'fixed',
    });
    return {
      plan: JSON.parse(
        JSON.stringify(plan).replaceAll(root, '<root>').replaceAll(base, '<dir>'),
      ) as unknown,
      table: tableMismatches(root, prepared.model),
    };
  };
  const apply = () => {
    const r = spawnSync(
      process.execPath,
      [keepsake, 'apply', '--root', root, '--config', configFile],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`apply: ${r.stdout}${r.stderr}`);
  };

  const first = await situation();
  apply();
  const noop = await situation();
  run('umount', ['-R', root]);
  mountTmpfs('plan-root', root);
  accounts();
  bindStores();
  const boot = await situation();
  run('umount', ['-R', root]);
  fs.writeFileSync(path.join(base, 'situations.json'), JSON.stringify({ first, noop, boot }));
  emit({ ok: true });
}

main().catch((e: unknown) => {
  emit({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
});
