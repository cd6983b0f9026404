// Writing a file that must not exist yet: O_CREAT|O_EXCL refuses an existing file and a
// link planted in its place alike, so nothing is overwritten and no link is followed.

import * as fs from 'node:fs';
import { SystemError, UsageError } from '../errors.js';

export function writeNewFile(path: string, text: string, mode = 0o644): void {
  try {
    fs.writeFileSync(path, text, { flag: 'wx', mode });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new UsageError(
        `${path} already exists; keepsake does not overwrite it`,
        'choose another --output, or move the existing file away first',
      );
    }
    throw new SystemError(
      'open',
      code ?? 'EIO',
      path,
      `cannot write ${path}: ${(e as Error).message}`,
      'check that its directory exists and is writable',
    );
  }
}
