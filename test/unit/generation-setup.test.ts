// The setup digest kept beside each generation in a store (NNNNNN.setup), so that an apply
// decides whether the setup changed without reading the whole record. The sidecar is believed
// only when root alone can write it, it is a regular file, it holds a digest, and the record
// it describes has the size it names; otherwise the record itself is read.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  generationFile,
  setupFile,
  setupLine,
  setupOf,
  setupOfGeneration,
} from '../../src/generations/store.js';
import type { Model } from '../../src/model/types.js';
import { GENERATION_VERSION, type Generation } from '../../src/plan/generation.js';

let root: string;
let dir: string;
const STORES = ['/persist'];
const OTHER = 'a'.repeat(64);

/** A generation whose model has one entry; written root-only as apply writes it. */
function writeGeneration(n: number): { json: string; setup: string } {
  const model = {
    stores: ['/persist'],
    entries: [{ id: 'e1', kind: 'directory', target: '/var/lib/a', store: '/persist/var/lib/a' }],
  } as unknown as Model;
  const g = { version: GENERATION_VERSION, number: n, model, actions: [] } as unknown as Generation;
  const json = `${JSON.stringify(g)}\n`;
  fs.writeFileSync(path.join(dir, generationFile(n)), json, { mode: 0o644 });
  return { json, setup: setupOf(model) };
}

function writeSidecar(n: number, text: string, mode = 0o644) {
  const file = path.join(dir, setupFile(n));
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
}

describe('the setup digest beside a generation', {
  skip: process.geteuid?.() !== 0 && 'needs root (the files must be root-owned)',
}, () => {
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-setup-')));
    dir = path.join(root, 'persist/.keepsake/generations');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(path.join(root, 'persist'), 0o755);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is read instead of the record when it matches the record', () => {
    const { json } = writeGeneration(1);
    // A digest only the sidecar holds proves the record was not read.
    writeSidecar(1, setupLine(OTHER, json));
    assert.equal(setupOfGeneration(root, STORES, 1), OTHER);
  });

  it('is the record’s own digest when apply writes it', () => {
    const { json, setup } = writeGeneration(1);
    writeSidecar(1, setupLine(setup, json));
    assert.equal(setupOfGeneration(root, STORES, 1), setup);
  });

  it('is not believed when the record has another size, or is missing', () => {
    const { json, setup } = writeGeneration(1);
    writeSidecar(1, setupLine(OTHER, `${json} `));
    assert.equal(setupOfGeneration(root, STORES, 1), setup);
    writeSidecar(2, setupLine(OTHER, json));
    assert.equal(setupOfGeneration(root, STORES, 2), undefined);
  });

  it('is not believed when others may write it, or it is a link, or it is not a digest', () => {
    const { json, setup } = writeGeneration(1);
    writeSidecar(1, setupLine(OTHER, json), 0o666);
    assert.equal(setupOfGeneration(root, STORES, 1), setup);
    fs.rmSync(path.join(dir, setupFile(1)));
    const elsewhere = path.join(root, 'planted');
    fs.writeFileSync(elsewhere, setupLine(OTHER, json), { mode: 0o644 });
    fs.symlinkSync(elsewhere, path.join(dir, setupFile(1)));
    assert.equal(setupOfGeneration(root, STORES, 1), setup);
    fs.rmSync(path.join(dir, setupFile(1)));
    writeSidecar(1, `not-a-digest ${Buffer.byteLength(json)}\n`);
    assert.equal(setupOfGeneration(root, STORES, 1), setup);
  });

  it('without a sidecar, the record is read', () => {
    const { setup } = writeGeneration(1);
    assert.equal(setupOfGeneration(root, STORES, 1), setup);
  });
});
