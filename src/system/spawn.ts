// node:child_process, loaded on first use: most runs of keepsake spawn nothing (the addon
// mounts), and loading it, with the stream and network modules it pulls in, is several
// milliseconds of every start.

import type * as ChildProcess from 'node:child_process';
import { createRequire } from 'node:module';

let loaded: typeof ChildProcess | undefined;

function childProcess(): typeof ChildProcess {
  loaded ??= createRequire(import.meta.url)('node:child_process') as typeof ChildProcess;
  return loaded;
}

export const spawnSync = ((...args: Parameters<typeof ChildProcess.spawnSync>) =>
  childProcess().spawnSync(...args)) as typeof ChildProcess.spawnSync;
