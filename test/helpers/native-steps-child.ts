// Runs the native addon's runSteps in a child process, for what must not happen in the test
// runner: malformed input (a crash would take the runner with it) and mounts (only inside a
// private mount namespace, see ns-run.ts). Prints one JSON line.
//
//   node native-steps-child.js malformed
//   node native-steps-child.js <scenario> <base>   (inside unshare -m)

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { loadBinding, type MountBinding } from '../../src/system/binding.js';
import { emit } from './ns-run.js';

const loaded = loadBinding();
if (!loaded.binding) throw new Error(loaded.reason);
const b = loaded.binding as Required<MountBinding>;
const euid = process.geteuid?.() ?? 0;
const egid = process.getegid?.() ?? 0;
const um = process.umask();

const buf = (...fields: (string | number)[]) => Buffer.from(`${fields.join('\0')}\0`);
const run = (buffer: Buffer) => b.runSteps(buffer, euid, egid, um);
const mkdir = (p: string) => ['d', p, 0, 0, 0o755];

function sh(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
const mountPointsUnder = (dir: string) =>
  fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));

/** What each call did: its result, or the error it threw (name and message). */
function attempt(fn: () => unknown): { ok: unknown } | { threw: string; message: string } {
  try {
    return { ok: fn() };
  } catch (e) {
    return { threw: (e as Error).constructor.name, message: (e as Error).message };
  }
}

const [scenario, base] = process.argv.slice(2) as [string, string];
switch (scenario) {
  case 'malformed': {
    const dir = fs.mkdtempSync('/tmp/keepsake-native-malformed-');
    const good = mkdir(`${dir}/made`);
    emit({
      cases: {
        notBuffer: attempt(() => b.runSteps('d\0/x\0' as unknown as Buffer, euid, egid, um)),
        fewArgs: attempt(() => (b.runSteps as (...a: unknown[]) => number)(buf(...good))),
        idNotNumber: attempt(() => b.runSteps(buf(...good), 'x' as unknown as number, egid, um)),
        unknownKind: attempt(() => run(buf('z', `${dir}/z`))),
        missingFields: attempt(() => run(buf('d', `${dir}/m`, 0))),
        noFinalNul: attempt(() => run(Buffer.from(`d\0${dir}/n\x000\x000\x00493`))),
        uidNotNumber: attempt(() => run(buf('d', `${dir}/u`, 'root', 0, 0o755))),
        uidEmpty: attempt(() => run(buf('d', `${dir}/e`, '', 0, 0o755))),
        uidTooLarge: attempt(() => run(buf('d', `${dir}/t`, '99999999999999999999999', 0, 493))),
        // Would wrap to uid 0 (root) or to "leave as is" (-1) as a uid_t.
        uidWraps: attempt(() => run(buf('d', `${dir}/w`, 4294967296, 0, 493))),
        uidNegative: attempt(() => run(buf('d', `${dir}/g`, -1, 0, 493))),
        truncatedAfterGood: attempt(() => run(Buffer.concat([buf(...good), buf('f', `${dir}/f`)]))),
        bindMissingType: attempt(() => run(buf('b', `${dir}/made`, `${dir}/made`))),
        empty: attempt(() => run(Buffer.alloc(0))),
        onlyNuls: attempt(() => run(Buffer.alloc(16))),
      },
      // A malformed step anywhere throws; steps before it in the same buffer were carried out.
      left: fs.readdirSync(dir).sort(),
    });
    fs.rmSync(dir, { recursive: true, force: true });
    break;
  }
  case 'binds': {
    // base/src holds data; base/tgt is bound to it; steps after the bind, in the same call and
    // in a later one, must reach the mounted tree, not the directory below it.
    fs.mkdirSync(`${base}/src`);
    fs.mkdirSync(`${base}/tgt`);
    fs.writeFileSync(`${base}/src.file`, 'store');
    fs.writeFileSync(`${base}/tgt.file`, '');
    // Something written into the mount point after it was checked (here by the step before):
    // the bind would hide it, so it is taken down again and the step fails.
    const refused = run(
      buf(...mkdir(`${base}/tgt/written-meanwhile`), ...['b', `${base}/src`, `${base}/tgt`, 'd']),
    );
    const pointsAfterRefusal = mountPointsUnder(base).length;
    const keptBelow = fs.readdirSync(`${base}/tgt`);
    fs.rmdirSync(`${base}/tgt/written-meanwhile`);
    const first = run(
      buf(
        ...['b', `${base}/src`, `${base}/tgt`, 'd'],
        ...mkdir(`${base}/tgt/after-bind`),
        ...['b', `${base}/src.file`, `${base}/tgt.file`, 'f'],
      ),
    );
    b.resetSteps();
    const second = run(buf(...mkdir(`${base}/tgt/after-reset`)));
    const seen = fs.readdirSync(`${base}/tgt`).sort();
    const fileSeen = fs.readFileSync(`${base}/tgt.file`, 'utf8');
    // A bind through a link is refused: the link is neither followed nor mounted over.
    fs.mkdirSync(`${base}/elsewhere`);
    fs.symlinkSync(`${base}/elsewhere`, `${base}/link`);
    const viaLink = run(buf('b', `${base}/src`, `${base}/link`, 'd'));
    const viaLinkSource = run(buf('b', `${base}/link`, `${base}/elsewhere`, 'd'));
    const points = mountPointsUnder(base).map((p) => p.slice(base.length));
    b.resetSteps(); // its descriptors would keep the mounts busy
    sh('umount', ['-n', `${base}/tgt.file`]);
    sh('umount', ['-n', `${base}/tgt`]);
    emit({
      refused,
      pointsAfterRefusal,
      keptBelow,
      first,
      second,
      seen,
      fileSeen,
      viaLink,
      viaLinkSource,
      points,
      below: fs.readdirSync(`${base}/tgt`).sort(),
      src: fs.readdirSync(`${base}/src`).sort(),
    });
    break;
  }
  case 'mounted-over': {
    // A directory the addon keeps open, then mounted over by someone else.
    fs.mkdirSync(`${base}/m`);
    const first = run(buf(...mkdir(`${base}/m/a`)));
    sh('mount', ['-n', '-t', 'tmpfs', 'tmpfs', `${base}/m`]);
    const stale = run(buf(...mkdir(`${base}/m/without-reset`)));
    b.resetSteps();
    const fresh = run(buf(...mkdir(`${base}/m/with-reset`)));
    const onMount = fs.readdirSync(`${base}/m`).sort();
    b.resetSteps();
    sh('umount', ['-n', `${base}/m`]);
    emit({ first, stale, fresh, onMount, below: fs.readdirSync(`${base}/m`).sort() });
    break;
  }
  case 'enospc': {
    // A file whose content does not fit: nothing of it is left; the steps before it stay.
    fs.mkdirSync(`${base}/small`);
    sh('mount', ['-n', '-t', 'tmpfs', '-o', 'size=8k,nr_inodes=8', 'tmpfs', `${base}/small`]);
    const big = 'x'.repeat(64 * 1024);
    const fileDone = run(
      buf(...mkdir(`${base}/small/d`), ...['f', `${base}/small/d/big`, big, 0, 0, 0o644]),
    );
    const afterFile = fs.readdirSync(`${base}/small/d`);
    // Then directories until the inodes run out: the last one is not there.
    const many: (string | number)[] = [];
    for (let i = 0; i < 20; i++) many.push(...mkdir(`${base}/small/n${i}`));
    const dirsDone = run(buf(...many));
    const names = fs.readdirSync(`${base}/small`).sort();
    // Non-exact mkdir (owner and mode set after mkdir) on a full file system: the same.
    const nonExact = run(buf('d', `${base}/small/x`, 1000, 1000, 0o2750));
    const afterNonExact = fs.readdirSync(`${base}/small`).sort();
    b.resetSteps();
    sh('umount', ['-n', `${base}/small`]);
    emit({ fileDone, afterFile, dirsDone, names, nonExact, afterNonExact });
    break;
  }
  default:
    throw new Error(`unknown scenario ${scenario}`);
}
