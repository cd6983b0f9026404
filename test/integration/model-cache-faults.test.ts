// The model cache kept in the store (src/apply/model-cache.ts), with its adversaries: applies
// killed at moments throughout a run that writes it and at each step of the write itself,
// two applies writing it at once, and a store with no room for it. Invariant held each time:
// the cache in the store is absent or whole (its model and its topology read back and fit),
// never a damaged file trusted; a killed writer's temporary file is left beside it, never in
// its place, and goes with the next write; a full store only sends the cache to /run; and the
// next apply plans nothing new.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, requireNamespaces, sh, systemsCleanedAfter, TestSystem } from '../helpers/boot.js';

const skip = requireNamespaces();
const systems = systemsCleanedAfter();

const ENTRIES = 300;
const dirs = Array.from({ length: ENTRIES }, (_, i) => `      - /srv/g${i % 7}/d${i}\n`);
const CONFIG = `persistence:\n  /persist:\n    directories:\n${dirs.join('')}`;

// Reads a cache file as a run would trust it: `absent`, or `whole N` when its model's N
// entries unpack and its topology fits them; anything else exits non-zero.
const SRC = path.join(path.dirname(CLI), '../dist/src');
const CHECK = [
  "import fs from 'node:fs';",
  `const { unpackEntries } = await import(${JSON.stringify(`${SRC}/model/pack.js`)});`,
  `const { seedTopology } = await import(${JSON.stringify(`${SRC}/plan/topology.js`)});`,
  'const f = process.argv[1];',
  "if (!fs.existsSync(f)) { console.log('absent'); process.exit(0); }",
  "const c = JSON.parse(fs.readFileSync(f, 'utf8'));",
  'const entries = unpackEntries(c.model.entries);',
  'if (!seedTopology(entries, c.topology)) process.exit(4);',
  "console.log('whole', entries.length);",
].join(' ');

const node = JSON.stringify(process.execPath);
const config = '"$ROOT/persist/keepsake.yaml"';
const apply = `${node} ${JSON.stringify(CLI)} apply --root "$ROOT" --config ${config}`;
const check = (file: string) => `${node} --input-type=module -e ${JSON.stringify(CHECK)} ${file}`;
const inStore = '"$ROOT/persist/.keepsake/model.json"';
const inRun = '"$ROOT/run/keepsake/model.json"';

describe('the model cache in the store, under faults', { skip }, () => {
  it('is absent or whole after kills, concurrent applies and a full store', () => {
    const s = new TestSystem({ config: CONFIG, stores: [] });
    systems.push(s);
    const r = s.boot([
      {
        do: 'sh',
        cmd: [
          'set -e',
          'mkdir -p "$ROOT/persist" "$ROOT/run"',
          'mount -n -t tmpfs -o size=4m,mode=755 store "$ROOT/persist"',
          `cat > ${config} <<'EOF'\n${CONFIG}EOF`,
          `${apply} > /dev/null`,
          check(inStore),
        ].join('\n'),
      },
      // Killed at 24 moments, each after an edit the cache must be written again for.
      {
        do: 'sh',
        cmd: [
          'set -e',
          'for i in $(seq 24); do',
          `  echo "# edit $i" >> ${config}`,
          `  timeout -s KILL "0.$(printf %03d $((i * 12)))" ${apply} > /dev/null 2>&1 || true`,
          `  ${check(inStore)}`,
          'done',
          `echo "# left alone" >> ${config}`,
          `${apply} > /dev/null`,
          check(inStore),
          'ls -a "$ROOT/persist/.keepsake" | grep -c "^\\.model\\.json\\..*\\.tmp$" || true',
        ].join('\n'),
      },
      // Killed with the new cache written but not yet in place, then right after it is.
      {
        do: 'sh',
        cmd: [
          'for n in 1 2; do',
          `  echo "# step $n" >> ${config}`,
          `  before=$(sha256sum < ${inStore})`,
          `  KEEPSAKE_TEST_KILL_AT=model-cache:$n ${apply} > /dev/null 2>&1; echo "status $?"`,
          `  [ "$(sha256sum < ${inStore})" = "$before" ] && echo same || echo replaced`,
          `  ${check(inStore)}`,
          '  ls -a "$ROOT/persist/.keepsake" | grep -c "^\\.model\\.json\\..*\\.tmp$" || true',
          'done',
          `${apply} > /dev/null; echo "status $?"`,
          check(inStore),
        ].join('\n'),
      },
      // Two applies at once, five times over, each pair after an edit.
      {
        do: 'sh',
        cmd: [
          'set -e',
          'for i in $(seq 5); do',
          `  echo "# both $i" >> ${config}`,
          `  ${apply} > /dev/null 2>&1 & ${apply} > /dev/null 2>&1 & wait`,
          `  ${check(inStore)}`,
          'done',
        ].join('\n'),
      },
      // No room left in the store: the cache goes to /run, the store's stays as it was.
      {
        do: 'sh',
        cmd: [
          'cat "$ROOT/persist/.keepsake/model.json" | sha256sum',
          'ls -a "$ROOT/persist/.keepsake" | grep -c "^\\.model\\.json\\..*\\.tmp$" || true',
          'dd if=/dev/zero of="$ROOT/persist/fill" bs=4k 2>/dev/null || true',
          `echo "# full" >> ${config}`,
          `${apply} > /dev/null 2>&1; echo "status $?"`,
          'cat "$ROOT/persist/.keepsake/model.json" | sha256sum',
          check(inStore),
          check(inRun),
          'ls -a "$ROOT/persist/.keepsake" | grep -c "^\\.model\\.json\\..*\\.tmp$" || true',
          'rm "$ROOT/persist/fill"',
          `${apply} --json | tail -n 1`,
        ].join('\n'),
      },
    ]);
    const first = sh(r[0]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout.trim(), `whole ${ENTRIES}`);

    const kills = sh(r[1]);
    assert.equal(kills.status, 0, kills.stderr);
    const lines = kills.stdout.trim().split('\n');
    const temporaries = Number(lines.pop());
    const verdicts = lines.slice(0, 24);
    for (const v of verdicts) assert.match(v, new RegExp(`^(absent|whole ${ENTRIES})$`));
    assert.deepEqual(lines.slice(24), [`whole ${ENTRIES}`], 'whole after an apply left alone');
    // A killed writer may leave its temporary file beside the cache, never in its place; the
    // apply left alone wrote the cache (the configuration was edited again) and cleared them.
    assert.equal(temporaries, 0);

    const stepped = sh(r[2]);
    assert.equal(stepped.status, 0, stepped.stderr);
    assert.deepEqual(stepped.stdout.trim().split('\n'), [
      // Killed before the rename: the old cache is in place, whole; the new one is a
      // temporary file beside it, which no reader takes for the cache.
      'status 137',
      'same',
      `whole ${ENTRIES}`,
      '1',
      // Killed after it: the new cache is in place, whole, and the temporary file the first
      // kill left went as this apply wrote (its writer was gone).
      'status 137',
      'replaced',
      `whole ${ENTRIES}`,
      '0',
      // The next apply reads it, and all is well.
      'status 0',
      `whole ${ENTRIES}`,
    ]);

    const both = sh(r[3]);
    assert.equal(both.status, 0, both.stderr);
    assert.deepEqual(both.stdout.trim().split('\n'), Array(5).fill(`whole ${ENTRIES}`));

    const full = sh(r[4]);
    const [before, tempsBefore, status, after, store, run, temps, summary] = full.stdout
      .trim()
      .split('\n');
    assert.equal(after, before, "the store's cache is left as it was");
    assert.equal(store, `whole ${ENTRIES}`);
    assert.equal(run, `whole ${ENTRIES}`, 'the cache kept in /run instead');
    assert.equal(temps, tempsBefore, 'no temporary file left by the write that found no room');
    // Nothing else had to be written (the edit changed no entry): the apply succeeds.
    assert.equal(status, 'status 0');
    const result = JSON.parse(summary ?? '{}') as { ok?: boolean; actions?: number };
    assert.equal(result.ok, true, summary);
    assert.equal(full.status, 0, full.stderr);
  });
});
