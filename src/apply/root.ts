// `--root`, as every command takes it.

import * as fs from 'node:fs';
import { UsageError } from '../errors.js';

/** `--root` as a real directory path, so that verified paths compare exactly. */
export function resolveRoot(root: string): string {
  let real: string;
  try {
    real = fs.realpathSync(root);
  } catch {
    throw new UsageError(
      `--root ${root}: no such directory`,
      'give the directory where the root file system is mounted',
    );
  }
  if (!fs.statSync(real).isDirectory()) throw new UsageError(`--root ${root}: not a directory`);
  return real;
}
