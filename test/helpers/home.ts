// A test user's home: a temporary directory with a passwd and group holding user `tester`
// (uid and gid 4242), a config file, dotfiles, and steps run in a private mount namespace,
// as that user or as root. Nothing is added to this machine's own accounts or mount table.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import type { Inspected } from './boot.js';
import { CLI, REPO } from './boot.js';
import { readChildJson, runInNamespace } from './ns-run.js';

export const UID = 4242;

export type HomeStep =
  /** keepsake with these arguments (and --config), as the test user or as root. */
  | { do: 'user' | 'root'; args: string[]; env?: Record<string, string> }
  /** A shell command as root, with $DIR (the test directory) and $HOME_DIR set. */
  | { do: 'sh'; cmd: string; mayFail?: boolean }
  /** Paths to describe; `~` is the test user's home. */
  | { do: 'inspect'; paths: string[] };

export type HomeStepResult =
  | { do: 'user' | 'root' | 'sh'; status: number; stdout: string; stderr: string }
  | { do: 'inspect'; paths: Record<string, Inspected> };

export interface HomeSpec {
  dir: string;
  home: string;
  cli: string;
  config: string;
  uid: number;
  steps: HomeStep[];
}

export class TestHome {
  readonly dir: string;
  readonly home: string;
  readonly config: string;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-home-'));
    fs.chmodSync(this.dir, 0o755); // the test user must reach the config and the dotfiles
    this.home = `${this.dir}/home`;
    this.config = `${this.dir}/keepsake.yaml`;
    fs.mkdirSync(this.home, { mode: 0o700 });
    fs.chownSync(this.home, UID, UID);
    const passwd = fs.readFileSync('/etc/passwd', 'utf8');
    const group = fs.readFileSync('/etc/group', 'utf8');
    fs.writeFileSync(
      `${this.dir}/passwd`,
      `${passwd}tester:x:${UID}:${UID}::${this.home}:/bin/sh\n`,
    );
    fs.writeFileSync(`${this.dir}/group`, `${group}tester:x:${UID}:\n`);
  }

  /** Write a file of the test directory (config, dotfiles), readable by everyone. */
  write(rel: string, content: string, mode = 0o644): string {
    const p = `${this.dir}/${rel}`;
    fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
    fs.writeFileSync(p, content);
    fs.chmodSync(p, mode);
    return p;
  }

  setConfig(text: string) {
    this.write('keepsake.yaml', text.replaceAll('$DIR', this.dir));
  }

  /** A directory the test user owns (a user's own store). */
  userDir(rel: string): string {
    const p = `${this.dir}/${rel}`;
    fs.mkdirSync(p, { recursive: true, mode: 0o755 });
    fs.chownSync(p, UID, UID);
    return p;
  }

  run(steps: HomeStep[]): HomeStepResult[] {
    const spec: HomeSpec = {
      dir: this.dir,
      home: this.home,
      cli: CLI,
      config: this.config,
      uid: UID,
      steps,
    };
    const specFile = `${this.dir}/spec.json`;
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const r = runInNamespace(path.join(REPO, 'dist/test/helpers/home-child.js'), [specFile]);
    return readChildJson<HomeStepResult[]>(r);
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The result of a keepsake step, checked to be one. */
export function ran(r: HomeStepResult | undefined): {
  status: number;
  stdout: string;
  stderr: string;
} {
  if (r === undefined || r.do === 'inspect') throw new Error('not a command step');
  return r;
}

export function inspected(r: HomeStepResult | undefined): Record<string, Inspected> {
  if (r?.do !== 'inspect') throw new Error('not an inspect step');
  return r.paths;
}

/** Test homes made by a suite, removed when it ends. */
export function homesOfSuite(prepare: (h: TestHome) => void = () => {}): () => TestHome {
  const made: TestHome[] = [];
  after(() => {
    for (const h of made) h.cleanup();
  });
  return () => {
    const h = new TestHome();
    made.push(h);
    prepare(h);
    return h;
  };
}

/** A configuration of home files for `tester`, kept in `$DIR/store/hm`; `files` are YAML lines. */
export function filesConfig(...files: string[]): string {
  return `users:
  tester:
    homeStore: $DIR/store/hm
    files:
${files.map((f) => `      ${f}\n`).join('')}`;
}

/** A step in which the test user plants a link at `path` (`~` is the home). */
export function userLink(path: string, to: string): HomeStep {
  const at = path.replace(/^~/, '$HOME_DIR');
  return { do: 'sh', cmd: `ln -sfn "${to}" "${at}" && chown -h ${UID}:${UID} "${at}"` };
}
