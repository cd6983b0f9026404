// What a configuration is told, through the apply path's readers (load-model.ts: the readers
// that skip the parser libraries) and through the full ones (load.ts), on a root whose only
// account is root. The two must say the same, word for word and place for place.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfigText } from '../../src/config/index.js';
import { loadModelText } from '../../src/config/load-model.js';
import type { ConfigFormat } from '../../src/config/raw.js';
import { ConfigError } from '../../src/errors.js';

/** Every diagnostic `run` throws, or 'valid'. */
async function diagnostics(run: () => unknown) {
  try {
    await run();
  } catch (e) {
    if (e instanceof ConfigError) return e.diagnostics;
    throw e;
  }
  return 'valid';
}

export interface MessageRoot {
  /** The messages of `text` by both ways of reading it. */
  both(text: string): Promise<{ fast: unknown; full: unknown }>;
  cleanup(): void;
}

export function messageRoot(format: ConfigFormat, file: string): MessageRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `keepsake-${format}-`));
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\n');
  const options = { root: dir, verbose: false };
  return {
    both: async (text) => ({
      fast: await diagnostics(() => loadModelText(text, file, format, options)),
      full: await diagnostics(() => loadConfigText(text, file, { ...options, format })),
    }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
