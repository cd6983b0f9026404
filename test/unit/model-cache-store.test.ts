// The validated model kept in the store that holds the configuration, so that a boot (with an
// empty /run) skips parsing and validating. A cache is used only when its key matches and only
// root can write where it lies; anything else means the configuration is parsed as if there
// were no cache, and nothing is ever written through a link.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadModel } from '../../src/apply/model-cache.js';
import { cacheKey } from '../../src/apply/model-key.js';
import { modelText } from '../../src/generations/model-text.js';
import { type PackedEntries, unpackEntries } from '../../src/model/pack.js';
import type { Model } from '../../src/model/types.js';
import { buildTopology, type PackedTopology, type Topology } from '../../src/plan/topology.js';
import { CLI } from '../helpers/boot.js';

const CONFIG = `persistence:
  /persist:
    directories:
      - /var/lib/a
`;

let root: string;
let file: string;
let cache: string;
const opts = () => ({ root, verbose: false, store: true });
/** A boot: /run is empty. */
const reboot = () => fs.rmSync(path.join(root, 'run'), { recursive: true, force: true });
const targets = (m: Model) => m.entries.map((e) => e.target);

/** The cache file, parsed. */
const readCacheFile = (): Record<string, unknown> & { key: string; model: Model } =>
  JSON.parse(fs.readFileSync(cache, 'utf8'));
const cachedKey = () => readCacheFile().key;

/** A cache file that would be used, whose model says `/planted` instead of the real entry
 *  (its entries plain JSON, which the reader takes too). */
function planted(key: string): string {
  const file = readCacheFile();
  const packed = file.model as Model & { entries: PackedEntries };
  const model: Model = { ...packed, entries: unpackEntries(packed.entries) };
  const first = model.entries[0] as Model['entries'][number];
  model.entries[0] = { ...first, id: 'directory:/planted', target: '/planted' };
  return JSON.stringify({ ...file, key, model });
}
const plantedTarget = () => readCacheFile().model.entries[0]?.target;

describe('the model cached in the store', {
  skip: process.geteuid?.() !== 0 && 'needs root',
}, () => {
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-cache-')));
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
    fs.mkdirSync(path.join(root, 'persist'), { mode: 0o755 });
    file = path.join(root, 'persist/keepsake.yaml');
    fs.writeFileSync(file, CONFIG);
    cache = path.join(root, 'persist/.keepsake/model.json');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("is JSON.stringify's text, its entries packed, and a model read from it is the model", async () => {
    const model = await loadModel(file, opts());
    const written = fs.readFileSync(cache, 'utf8');
    const parsed = readCacheFile();
    assert.equal(written, JSON.stringify(parsed));
    assert.deepEqual(Object.keys(parsed), ['key', 'accounts', 'setup', 'model', 'topology']);
    assert.ok(!Array.isArray(parsed.model.entries), 'the entries are packed');
    reboot();
    const cached = await loadModel(file, opts());
    assert.notEqual(cached, model, 'read from the cache');
    assert.deepEqual(cached, model);
    // The records write the model's text: the same as the model parsed gives.
    assert.equal(modelText(cached), modelText(model));
  });

  it('reads a file whose entries are plain JSON as well', async () => {
    const model = await loadModel(file, opts());
    fs.writeFileSync(cache, JSON.stringify({ ...readCacheFile(), model }), { mode: 0o600 });
    reboot();
    const cached = await loadModel(file, opts());
    assert.notEqual(cached, model, 'read from the cache');
    assert.deepEqual(cached, model);
  });

  it('keeps how the entries nest, which a run that reads it plans from', async () => {
    fs.writeFileSync(
      file,
      `${CONFIG}      - /var/lib/a/inner\n      - directory: /var/lib/l\n        method: symlink\n`,
    );
    const model = await loadModel(file, opts());
    const ids = (t: Topology) => ({
      ordered: t.ordered.map((e) => e.id),
      covered: [...t.covered],
      enclosing: [...t.enclosing].map(([id, e]) => [id, e.id]),
    });
    const worked = ids(buildTopology(structuredClone(model.entries)));
    assert.deepEqual(worked.covered, ['directory:/var/lib/a/inner']);
    reboot();
    const cached = await loadModel(file, opts());
    const seeded = buildTopology(cached.entries);
    assert.deepEqual(ids(seeded), worked);
    // Seeded as it was read, not worked out: another order that fits is taken as it is.
    const parsed = readCacheFile() as ReturnType<typeof readCacheFile> & {
      topology: PackedTopology;
    };
    const reversed = [...parsed.topology.ordered].reverse();
    fs.writeFileSync(
      cache,
      JSON.stringify({ ...parsed, topology: { ...parsed.topology, ordered: reversed } }),
      { mode: 0o600 },
    );
    reboot();
    const again = await loadModel(file, opts());
    assert.deepEqual(
      buildTopology(again.entries).ordered.map((e) => e.id),
      reversed.map((i) => again.entries[i]!.id),
    );
    // One that does not fit is left out: the model is read all the same, its topology worked out.
    fs.writeFileSync(
      cache,
      JSON.stringify({ ...parsed, topology: { ...parsed.topology, ordered: [0, 0, 0] } }),
      { mode: 0o600 },
    );
    reboot();
    const misfit = await loadModel(file, opts());
    assert.deepEqual(misfit, model);
    assert.deepEqual(ids(buildTopology(misfit.entries)), worked);
  });

  it('is written beside the configuration, root-only, and read by the next boot', async () => {
    assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a']);
    const st = fs.lstatSync(cache);
    assert.ok(st.isFile());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(fs.lstatSync(path.dirname(cache)).mode & 0o777, 0o700);
    // Proof that a boot reads it: a model only the cache holds.
    fs.writeFileSync(cache, planted(cachedKey()), { mode: 0o600 });
    reboot();
    assert.deepEqual(targets(await loadModel(file, { ...opts(), store: false })), ['/planted']);
  });

  it('is not used when it was made by another version of keepsake', async () => {
    await loadModel(file, opts());
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(cache, planted(cacheKey(text, file, { root, verbose: false }, '0.0.0-other')));
    reboot();
    assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a']);
    // ...and is replaced by one of this version.
    assert.equal(cachedKey(), cacheKey(text, file, { root, verbose: false }));
  });

  it('is not used once the configuration changed', async () => {
    await loadModel(file, opts());
    fs.writeFileSync(file, `${CONFIG}      - /var/lib/b\n`);
    reboot();
    assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a', '/var/lib/b']);
  });

  it('is not used when the accounts it was resolved with changed', async () => {
    await loadModel(file, opts());
    fs.writeFileSync(cache, planted(cachedKey()));
    fs.appendFileSync(path.join(root, 'etc/passwd'), 'jane:x:1000:1000::/home/jane:/bin/sh\n');
    reboot();
    assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a']);
  });

  it('is parsed around when corrupt, and written whole again', async () => {
    await loadModel(file, opts());
    const whole = fs.readFileSync(cache, 'utf8');
    const parsed = readCacheFile();
    const packed = parsed.model as unknown as { entries: PackedEntries };
    const rows = packed.entries.rows;
    const badRows = (r: unknown) =>
      JSON.stringify({ ...parsed, model: { ...packed, entries: { ...packed.entries, rows: r } } });
    for (const bad of [
      whole.slice(0, 100),
      '',
      'null',
      '{"key": 1}',
      // The key right, the entries not as packEntries makes them.
      badRows(rows.map((r) => Object.assign([...r], { 3: 7 }))),
      badRows('rows'),
      badRows([null]),
    ]) {
      fs.writeFileSync(cache, bad);
      reboot();
      assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a'], JSON.stringify(bad));
      assert.equal(fs.readFileSync(cache, 'utf8'), whole, 'written whole again');
    }
  });

  it('is not read or written through a link planted in its place', async () => {
    await loadModel(file, opts());
    const key = cachedKey();
    const elsewhere = path.join(root, 'elsewhere.json');
    fs.writeFileSync(elsewhere, planted(key), { mode: 0o600 });
    const before = fs.readFileSync(elsewhere, 'utf8');
    fs.rmSync(cache);
    fs.symlinkSync(elsewhere, cache);
    reboot();
    assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a']);
    assert.ok(fs.lstatSync(cache).isSymbolicLink(), 'the link was replaced, not refused');
    assert.equal(fs.readFileSync(elsewhere, 'utf8'), before, 'written through the link');
  });

  it('is not read or written through a link planted for the .keepsake directory', async () => {
    await loadModel(file, opts());
    const key = cachedKey();
    const other = path.join(root, 'other');
    fs.mkdirSync(other, { mode: 0o700 });
    fs.writeFileSync(path.join(other, 'model.json'), planted(key), { mode: 0o600 });
    const before = fs.readFileSync(path.join(other, 'model.json'), 'utf8');
    fs.rmSync(path.dirname(cache), { recursive: true });
    fs.symlinkSync(other, path.dirname(cache));
    reboot();
    assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a']);
    assert.equal(fs.readFileSync(path.join(other, 'model.json'), 'utf8'), before);
  });

  it('is neither trusted nor written where others may write', async () => {
    await loadModel(file, opts());
    const bad = planted(cachedKey());
    const check = async (what: string) => {
      reboot();
      assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a'], what);
    };
    fs.writeFileSync(cache, bad, { mode: 0o600 });
    fs.chmodSync(cache, 0o666);
    await check('a cache file others may write');
    fs.writeFileSync(cache, bad);
    fs.chmodSync(cache, 0o600);
    fs.chownSync(cache, 1000, 1000);
    await check("a user's cache file");
    fs.rmSync(cache);
    fs.writeFileSync(cache, bad, { mode: 0o600 });
    fs.chmodSync(path.dirname(cache), 0o777);
    await check('a .keepsake others may write');
    assert.equal(plantedTarget(), '/planted');
    fs.chmodSync(path.dirname(cache), 0o700);
    fs.chmodSync(path.join(root, 'persist'), 0o777);
    await check('a store others may write');
    assert.equal(plantedTarget(), '/planted');
  });

  it('costs only time when it cannot be written', async () => {
    fs.writeFileSync(path.join(root, 'persist/.keepsake'), 'not a directory');
    assert.deepEqual(targets(await loadModel(file, opts())), ['/var/lib/a']);
    assert.equal(fs.readFileSync(path.join(root, 'persist/.keepsake'), 'utf8'), 'not a directory');
  });

  it('is not written by a run that only reads', async () => {
    await loadModel(file, { ...opts(), store: false });
    assert.equal(fs.existsSync(cache), false);
  });

  it("is keepsake's own: orphans does not list it and prune does not delete it", async () => {
    await loadModel(file, opts());
    const before = fs.readFileSync(cache, 'utf8');
    const orphan = path.join(root, 'persist/left-behind');
    fs.mkdirSync(orphan);
    const keepsake = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args, '--root', root, '--config', file], {
        encoding: 'utf8',
      });
    const listed = keepsake('orphans', '--json');
    assert.match(listed.stdout, /left-behind/, `${listed.stdout}${listed.stderr}`);
    assert.doesNotMatch(listed.stdout, /model\.json|\.keepsake"/);
    const pruned = keepsake('prune', '--yes');
    assert.equal(pruned.status, 0, `${pruned.stdout}${pruned.stderr}`);
    assert.equal(fs.existsSync(orphan), false, 'prune deleted nothing: the test shows nothing');
    assert.equal(fs.readFileSync(cache, 'utf8'), before);
  });
});
