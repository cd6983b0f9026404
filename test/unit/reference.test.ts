import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { updateReference } from '../../src/config/reference.js';
import { REPO } from '../helpers/boot.js';

describe('option reference (docs/reference.md)', () => {
  it('matches the schema (run `node scripts/gen-reference.mjs` after changing it)', () => {
    const page = readFileSync(`${REPO}/docs/reference.md`, 'utf8');
    assert.equal(updateReference(page), page);
  });
});
