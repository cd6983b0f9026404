// Home generations on disk: what the next apply takes as made (the last complete generation
// and every interrupted one after it), and what expiry deletes.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  expireHomeGenerations,
  historyOf,
  listHomeGenerations,
  writeHomeGeneration,
} from '../../src/home/record.js';
import type { HomeGeneration, RecordedLink } from '../../src/home/types.js';

const tmp = fs.mkdtempSync(join(tmpdir(), 'keepsake-home-record-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

function store(): string {
  const dir = join(tmp, String(counter++));
  fs.mkdirSync(`${dir}/files`, { recursive: true });
  return dir;
}

const link = (state: string, name: string): RecordedLink => ({
  target: `/home/jane/${name}`,
  declared: `/home/jane/${name}`,
  to: `${state}/files/${name}-r`,
  kind: 'file',
  hash: `${name}-r`,
});

function generation(
  number: number,
  links: RecordedLink[],
  over: Partial<HomeGeneration> = {},
): HomeGeneration {
  return {
    version: 1,
    number,
    state: 'complete',
    appliedAt: new Date(Date.UTC(2026, 0, number)).toISOString(),
    keepsake: 'test',
    user: 'jane',
    home: '/home/jane',
    links,
    directories: [],
    ...over,
  };
}

describe('home generation records', () => {
  it('takes the last complete generation and the interrupted ones after it as made', () => {
    const s = store();
    writeHomeGeneration(s, generation(1, [link(s, 'old')]));
    writeHomeGeneration(s, generation(2, [link(s, 'a')], { directories: ['/home/jane/d'] }));
    writeHomeGeneration(s, generation(3, [link(s, 'b')], { state: 'pending' }));
    fs.writeFileSync(`${s}/generations/000004.json`, '{"cut short'); // a crash mid-write
    const all = listHomeGenerations(s);
    assert.deepEqual(
      all.map((g) => g.number),
      [1, 2, 3],
    );
    const h = historyOf(all);
    assert.deepEqual(
      h.links.map((l) => l.hash),
      ['a-r', 'b-r'],
    );
    assert.deepEqual(h.directories, ['/home/jane/d']);
    assert.deepEqual(
      h.complete.map((l) => l.hash),
      ['a-r'],
      'onChange compares with the complete one',
    );
    assert.deepEqual(historyOf([]), { links: [], directories: [], complete: [] });
  });

  it('expires by count or age, never the current generation, and deletes content no one links', () => {
    const s = store();
    for (const name of ['one', 'two', 'three', 'stray'])
      fs.writeFileSync(`${s}/files/${name}-r`, name);
    writeHomeGeneration(s, generation(1, [link(s, 'one')]));
    writeHomeGeneration(s, generation(2, [link(s, 'two')]));
    writeHomeGeneration(s, generation(3, [link(s, 'three'), link(s, 'one')]));
    assert.deepEqual(
      expireHomeGenerations(s, { keep: 2, now: new Date(Date.UTC(2026, 0, 10)) }),
      [1],
    );
    assert.deepEqual(fs.readdirSync(`${s}/files`).sort(), ['one-r', 'three-r', 'two-r']);
    assert.deepEqual(
      expireHomeGenerations(s, { olderThanDays: 0, now: new Date(Date.UTC(2026, 0, 10)) }),
      [2],
    );
    assert.deepEqual(fs.readdirSync(`${s}/files`).sort(), ['one-r', 'three-r']);
    assert.deepEqual(
      expireHomeGenerations(s, { keep: 0, now: new Date() }),
      [],
      'the current one stays',
    );
    assert.deepEqual(
      listHomeGenerations(s).map((g) => g.number),
      [3],
    );
  });
});
