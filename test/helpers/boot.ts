// A test system that boots: each `boot()` is a new private mount namespace with a fresh tmpfs
// root, while the "disks" (store contents) live in a temporary directory and survive.
// Nothing is mounted in the test runner's own namespace.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../../..');
export const CLI = path.join(REPO, 'bin/keepsake.js');

export type Step =
  | { do: 'apply'; command?: string; args?: string[]; env?: Record<string, string> }
  | { do: 'write'; path: string; content: string; uid?: number }
  | { do: 'mkdir'; path: string }
  | { do: 'symlink'; path: string; to: string }
  | { do: 'inspect'; paths: string[] }
  | { do: 'mounts' }
  /** Replace the configuration file (a change of configuration on the running system). */
  | { do: 'set-config'; text: string }
  /** A shell command, with $ROOT set to the root's host path; its output is the result. */
  | { do: 'sh'; cmd: string }
  /** Remove a path (a link itself, not what it points to). */
  | { do: 'remove'; path: string }
  /** Two applies at once: the first holds the lock for `holdMs`, the second starts later. */
  | { do: 'apply-twice-at-once'; holdMs: number };

export type StepResult =
  | { do: 'apply'; status: number; stdout: string; stderr: string }
  | { do: 'inspect'; paths: Record<string, Inspected> }
  | { do: 'mounts'; points: string[]; utab: string }
  | { do: 'write' | 'mkdir' | 'symlink' | 'set-config' | 'remove' }
  | { do: 'sh'; status: number; stdout: string; stderr: string }
  | {
      do: 'apply-twice-at-once';
      first: { status: number; stderr: string };
      second: { status: number; stderr: string };
    };

/** A `sh` step's result: fails the test when the step was something else. */
export function sh(r: StepResult | undefined): Extract<StepResult, { do: 'sh' }> {
  assert.ok(r?.do === 'sh');
  return r;
}

/** An `apply` step's result: fails the test when the step was something else. */
export function applied(r: StepResult | undefined): Extract<StepResult, { do: 'apply' }> {
  assert.ok(r?.do === 'apply');
  return r;
}

export interface Inspected {
  type: string;
  uid?: number;
  gid?: number;
  mode?: string;
  link?: string;
  content?: string;
  names?: string[];
}

export interface BootSpec {
  root: string;
  cli: string;
  config: string;
  passwd: string;
  group: string;
  /** store path (as in the config) → host directory holding its data */
  disks: Record<string, string>;
  /** Host directory to bind as the root, instead of a fresh tmpfs. */
  rootDisk?: string;
  steps: Step[];
}

export interface TestSystemOptions {
  /** Config text; the extension decides the format. */
  config: string;
  configName?: string;
  /** Store paths to back with a persistent disk each. */
  stores: string[];
  users?: Array<{ name: string; uid: number; gid?: number; home?: string }>;
  groups?: Array<{ name: string; gid: number }>;
  /** Ready-made /etc/passwd and /etc/group, instead of users and groups. */
  accounts?: { passwd: string; group: string };
  /** The root on a persistent directory of the disk's file system instead of a tmpfs. */
  rootOnDisk?: boolean;
}

/** Can this process make private mount namespaces? (root, or user namespaces allowed) */
export function namespacesAvailable(): { ok: boolean; reason: string } {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `unshare not runnable: ${r.error.message}` };
  return r.status === 0
    ? { ok: true, reason: '' }
    : { ok: false, reason: `unshare -m failed: ${r.stderr.trim()}` };
}

/** node:test `skip` option value: skip locally with a reason, never under CI. */
export function requireNamespaces(): false | string {
  const { ok, reason } = namespacesAvailable();
  if (ok) return false;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but this test tier cannot run: ${reason}`);
  return reason;
}

/** The test systems a test file makes, cleaned up once all its tests are done. */
export function systemsCleanedAfter(): TestSystem[] {
  const systems: TestSystem[] = [];
  after(() => {
    for (const s of systems) s.cleanup();
  });
  return systems;
}

export class TestSystem {
  readonly dir: string;
  readonly configFile: string;
  readonly disks: Record<string, string> = {};
  private rootDisk: string | undefined;
  private passwd: string;
  private group: string;

  constructor(opts: TestSystemOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-test-'));
    fs.mkdirSync(`${this.dir}/root`);
    this.configFile = `${this.dir}/${opts.configName ?? 'keepsake.yaml'}`;
    if (opts.rootOnDisk) {
      this.rootDisk = `${this.dir}/rootdisk`;
      fs.mkdirSync(this.rootDisk);
    }
    fs.writeFileSync(this.configFile, opts.config);
    opts.stores.forEach((store, i) => {
      const disk = `${this.dir}/disk${i}`;
      fs.mkdirSync(disk, { mode: 0o755 });
      this.disks[store] = disk;
    });
    const users = [{ name: 'root', uid: 0, gid: 0, home: '/root' }, ...(opts.users ?? [])];
    this.passwd = users
      .map(
        (u) => `${u.name}:x:${u.uid}:${u.gid ?? u.uid}::${u.home ?? `/home/${u.name}`}:/bin/sh\n`,
      )
      .join('');
    const groups = [
      { name: 'root', gid: 0 },
      ...(opts.users ?? []).map((u) => ({ name: u.name, gid: u.gid ?? u.uid })),
      ...(opts.groups ?? []),
    ];
    const seen = new Set<string>();
    if (opts.accounts) this.passwd = opts.accounts.passwd;
    this.group =
      opts.accounts?.group ??
      groups
        .filter((g) => !seen.has(g.name) && seen.add(g.name))
        .map((g) => `${g.name}:x:${g.gid}:\n`)
        .join('');
  }

  setConfig(text: string) {
    fs.writeFileSync(this.configFile, text);
  }

  /** One boot: a new namespace and a fresh tmpfs root, then the steps. */
  boot(steps: Step[]): StepResult[] {
    const spec: BootSpec = {
      root: `${this.dir}/root`,
      cli: CLI,
      config: this.configFile,
      passwd: this.passwd,
      group: this.group,
      disks: this.disks,
      ...(this.rootDisk ? { rootDisk: this.rootDisk } : {}),
      steps,
    };
    const specFile = `${this.dir}/boot.json`;
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const child = path.join(here, 'boot-child.js');
    const r = spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', process.execPath, child, specFile],
      {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      },
    );
    if (r.status !== 0) throw new Error(`boot failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as StepResult[];
  }

  /** Path of a stored item on its disk, from the host side. */
  disk(store: string, rel: string): string {
    return this.disks[store] + rel;
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
