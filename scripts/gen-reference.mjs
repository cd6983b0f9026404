// Regenerate the option reference in docs/reference.md from the schema (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { updateReference } from '../dist/src/config/reference.js';

const file = 'docs/reference.md';
const page = readFileSync(file, 'utf8');
const next = updateReference(page);
if (next !== page) writeFileSync(file, next);
console.log(
  next === page ? `${file}: option reference up to date` : `${file}: option reference updated`,
);
