import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { updateReadme } from '../../src/config/reference.js';
import { REPO } from '../helpers/boot.js';

describe('README option reference', () => {
  it('matches the schema (run `node scripts/gen-reference.mjs` after changing it)', () => {
    const readme = readFileSync(`${REPO}/README.md`, 'utf8');
    assert.equal(updateReadme(readme), readme);
  });
});
