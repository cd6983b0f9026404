// Undoing an adoption while a program keeps writing into the directory being adopted: the
// bind after the move fails, and while the undo runs (held stopped at its start, then let go)
// the program creates a file and appends a line to its log every 2 ms, by path. Afterwards
// every file it finished and every line it appended is in the directory it wrote to, or kept
// beside it in the store's backups where two copies of one name had to be kept apart, each
// exactly once; the data that was there before is in place, and the store holds no copy.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { singleQuoted } from '../../src/core/display.js';
import {
  CLI,
  requireNamespaces,
  type Step,
  systemsCleanedAfter,
  TestSystem,
} from '../helpers/boot.js';
import { liveWriter } from '../helpers/live-writer.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const ROUNDS = 10; // per case: 20 in all
const BASE = 'persistence:\n  /persist:\n    directories: [/var/log]\n';
const BEFORE: Record<string, string> = { a: 'first\n', 'sub/b': 'second\n' };
/** The action of `add /srv/app` that binds (after the mkdir of /persist/srv): failing it
 *  undoes the move. */
const BIND_ACTION = '2';
const WAIT_STOPPED = `for i in $(seq 200); do [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" = T ] && break; sleep 0.05; done`;

/** Every file under the source and the store, with its content: `path\tline` per line. */
const DUMP: Step = {
  do: 'sh',
  cmd: 'cd "$ROOT" && find srv persist -type f -print0 | xargs -0 -r grep -H "" | sed "s/:/\\t/"',
};

interface Round {
  status: number;
  out: string;
  written: number;
  failed: Set<number>;
  /** path (under the root) → lines */
  files: Map<string, string[]>;
}

function round(sameFs: boolean): Round {
  const s = new TestSystem({
    config: BASE,
    stores: sameFs ? [] : ['/persist'],
    rootOnDisk: sameFs,
  });
  systems.push(s);
  const writer = liveWriter(s.dir, '/srv/app');
  const ks = `NO_COLOR=1 KEEPSAKE_FAIL_AT_ACTION=${BIND_ACTION} KEEPSAKE_TEST_STOP_AT=move-undo-begin:1 ${[process.execPath, CLI].map(singleQuoted).join(' ')} add /srv/app --root "$ROOT" --config ${singleQuoted(s.configFile)}`;
  const r = s.boot([
    { do: 'sh', cmd: 'mkdir -p "$ROOT/persist"' },
    { do: 'apply' },
    ...Object.entries(BEFORE).map(
      ([p, content]) => ({ do: 'write', path: `/srv/app/${p}`, content }) as Step,
    ),
    writer.start,
    {
      do: 'sh',
      // Held at the start of the undo while the program writes, then let go.
      cmd: `${ks} > "$ROOT/../add.out" 2>&1 & p=$!; ${WAIT_STOPPED}; state=$(cut -d' ' -f3 /proc/$p/stat); sleep 0.15; kill -CONT $p; wait $p; echo "status $? held $state"; cat "$ROOT/../add.out"`,
    },
    { do: 'sh', cmd: 'sleep 0.05' },
    writer.stop,
    DUMP,
  ]);
  const [add, , stop, dump] = r.slice(3 + Object.keys(BEFORE).length);
  assert.ok(add?.do === 'sh' && stop?.do === 'sh' && dump?.do === 'sh');
  const m = /^status (\d+) held (\S*)/.exec(add.stdout);
  assert.ok(m, add.stdout + add.stderr);
  assert.equal(m[2], 'T', `keepsake was held at the start of the undo: ${add.stdout}`);
  const [first, ...failures] = stop.stdout.trim().split('\n');
  const files = new Map<string, string[]>();
  for (const line of dump.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const at = line.slice(0, tab);
    files.set(at, [...(files.get(at) ?? []), line.slice(tab + 1)]);
  }
  return {
    status: Number(m[1]),
    out: add.stdout,
    written: Number(first),
    failed: new Set(failures.filter((l) => l !== '').map((l) => Number(l.split(' ')[0]))),
    files,
  };
}

/** Where the undo promises the data: at the source, or kept in the store's backups. */
const promised = (at: string) =>
  at.startsWith('srv/app/') || /^persist\/\.keepsake\/backup\/[^/]+\/srv\/app\//.test(at);

function check(r: Round, what: string) {
  const why = `${what}: ${r.out}`;
  assert.equal(r.status, 1, `the failed bind is reported: ${why}`);
  assert.match(r.out, /undone/, why);
  assert.doesNotMatch(r.out, /undo-failed/, why);
  assert.ok(r.written > 20, `the program wrote during the undo (${r.written})`);
  for (const [rel, content] of Object.entries(BEFORE))
    assert.deepEqual(r.files.get(`srv/app/${rel}`), [content.trimEnd()], `${why}: ${rel}`);
  const ours = (at: string) => /\/(w-\d+|app\.log[^/]*)$/.test(at);
  const stray = [...r.files.keys()].filter((at) => ours(at) && !promised(at));
  assert.deepEqual(stray, [], `${why}: nothing the program wrote is anywhere else`);
  const leftovers = [...r.files.keys()].filter((at) =>
    /^persist\/srv\/|^persist\/\.keepsake\/moves\/|keepsake-partial/.test(at),
  );
  assert.deepEqual(leftovers, [], `${why}: no copy in the store, no journal`);
  // What had to be kept apart is said, by path.
  for (const at of r.files.keys())
    if (at.startsWith('persist/.keepsake/backup/'))
      assert.match(r.out, new RegExp(`kept \\S*/${at.replaceAll('.', '\\.')}: `), `${why}: ${at}`);
  // Each file the program finished, once, whole; each line it appended, once.
  const seenFiles = new Map<string, string[]>();
  const lines = new Map<string, number>();
  for (const [at, content] of r.files) {
    const name = at.slice(at.lastIndexOf('/') + 1);
    if (name.startsWith('w-')) seenFiles.set(name, [...(seenFiles.get(name) ?? []), at]);
    if (name.startsWith('app.log')) for (const l of content) lines.set(l, (lines.get(l) ?? 0) + 1);
    if (name.startsWith('w-'))
      assert.deepEqual(content, [`file ${Number(name.slice(2))}`], `${why}: ${at}`);
  }
  let kept = 0;
  for (let n = 0; n < r.written; n++) {
    if (r.failed.has(n)) continue;
    const name = `w-${String(n).padStart(6, '0')}`;
    const places = seenFiles.get(name) ?? [];
    assert.equal(places.length, 1, `${why}: ${name} is in ${JSON.stringify(places)}`);
    if (!places[0]!.startsWith('srv/app/')) kept++;
    assert.equal(lines.get(`line ${n}`), 1, `${why}: line ${n} appended once, kept once`);
  }
  const keptLines = [...r.files]
    .filter(([at]) => at.startsWith('persist/.keepsake/backup/'))
    .reduce((sum, [, content]) => sum + content.length, 0);
  return { kept, keptLines, failed: r.failed.size, written: r.written };
}

describe('undoing an adoption while a program writes into it', { skip }, () => {
  for (const sameFs of [true, false]) {
    it(`keeps everything it wrote, once (${sameFs ? 'one file system: the rename is reversed' : 'across file systems: the copy is removed'}; ${ROUNDS} rounds)`, () => {
      const totals = { written: 0, failed: 0, kept: 0, keptLines: 0 };
      for (let i = 0; i < ROUNDS; i++) {
        const c = check(round(sameFs), `round ${i}`);
        totals.written += c.written;
        totals.failed += c.failed;
        totals.kept += c.kept;
        totals.keptLines += c.keptLines;
      }
      process.stdout.write(`# ${JSON.stringify(totals)}\n`);
      // Held with the data in the store, the program wrote into the directory made in its place.
      if (sameFs) assert.ok(totals.keptLines > 0, 'lines were appended at the source meanwhile');
    });
  }
});
