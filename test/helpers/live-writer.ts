// A program that keeps writing into a directory while keepsake adopts it: every 2 ms it
// creates and closes a new file, and appends one line to a log (opened, appended, closed),
// always by path, as services do. When told to stop it writes down how many of each it
// finished, so a test can count what was lost. Runs inside the boot's namespace.

import * as fs from 'node:fs';
import type { Step, StepResult } from './boot.js';

const SCRIPT = `import os, sys, time
d, ctl = sys.argv[1], sys.argv[2]
n = 0
failed = []
while not os.path.exists(ctl + '/stop'):
    try:
        with open('%s/w-%06d' % (d, n), 'w') as f:
            f.write('file %d\\n' % n)
        with open(d + '/app.log', 'a') as f:
            f.write('line %d\\n' % n)
    except OSError as e:
        failed.append('%d %s' % (n, e))
    if n == 0:
        open(ctl + '/ready', 'w').close()
    n += 1
    time.sleep(0.002)
with open(ctl + '/done.tmp', 'w') as f:
    f.write('%d\\n%s' % (n, '\\n'.join(failed)))
os.rename(ctl + '/done.tmp', ctl + '/done')
`;

/** A program that opens its log once and keeps appending to it (what a bind cannot redirect). */
const HELD = `import os, sys, time
d, ctl = sys.argv[1], sys.argv[2]
n = 0
with open(d + '/app.log', 'a', buffering=1) as f:
    while not os.path.exists(ctl + '/stop'):
        f.write('line %d\\n' % n)
        if n == 0:
            open(ctl + '/ready', 'w').close()
        n += 1
        time.sleep(0.002)
with open(ctl + '/done.tmp', 'w') as f:
    f.write('%d\\n' % n)
os.rename(ctl + '/done.tmp', ctl + '/done')
`;

/** Steps that start the writer on `dir` (a path in the booted root), and stop it. With
 *  `held`, it only appends to a log it keeps open. */
export function liveWriter(
  testDir: string,
  dir: string,
  held = false,
): { start: Step; stop: Step } {
  const ctl = `${testDir}/writer`;
  fs.rmSync(ctl, { recursive: true, force: true });
  fs.mkdirSync(ctl);
  fs.writeFileSync(`${ctl}/writer.py`, held ? HELD : SCRIPT);
  return {
    start: {
      do: 'sh',
      // Started once it has written: python may take a while to start on a loaded machine.
      cmd: `setsid python3 ${ctl}/writer.py "$ROOT${dir}" ${ctl} </dev/null >${ctl}/out 2>&1 & for i in $(seq 600); do [ -e ${ctl}/ready ] && break; sleep 0.05; done; sleep 0.1`,
    },
    stop: {
      do: 'sh',
      cmd: `touch ${ctl}/stop; for i in $(seq 200); do [ -e ${ctl}/done ] && break; sleep 0.05; done; cat ${ctl}/done`,
    },
  };
}

export interface Losses {
  /** Files the writer created and closed. */
  written: number;
  /** Of those, how many are nowhere in the store (live tree or kept copies). */
  lostFiles: number;
  /** Lines appended that are in no log in the store. */
  lostLines: number;
  /** Writes that failed in the writer itself (not lost: never made). */
  failed: string[];
}

/** Count what the writer finished that is not in the store (`storeDir` and `kept` dirs). */
export function countLosses(
  stop: StepResult | undefined,
  storeDir: string,
  kept: string[],
  held = false,
): Losses {
  if (stop?.do !== 'sh') throw new Error('expected the writer to be stopped by an sh step');
  const [first, ...failed] = stop.stdout.trim().split('\n');
  const written = Number(first);
  if (!Number.isInteger(written) || written <= 0)
    throw new Error(`writer wrote nothing: ${stop.stdout}${stop.stderr}`);
  const failedAt = new Set(failed.map((l) => Number(l.split(' ')[0])));
  const files = new Set<string>();
  const lines = new Set<string>();
  for (const d of [storeDir, ...kept]) {
    if (!fs.existsSync(d)) continue;
    for (const name of fs.readdirSync(d)) {
      if (name.startsWith('w-')) files.add(name);
      if (name.startsWith('app.log')) {
        for (const l of fs.readFileSync(`${d}/${name}`, 'utf8').split('\n')) lines.add(l);
      }
    }
  }
  let lostFiles = 0;
  let lostLines = 0;
  for (let n = 0; n < written; n++) {
    if (failedAt.has(n)) continue;
    if (!held && !files.has(`w-${String(n).padStart(6, '0')}`)) lostFiles++;
    if (!lines.has(`line ${n}`)) lostLines++;
  }
  return { written, lostFiles, lostLines, failed: failed.filter((l) => l.length > 0) };
}
