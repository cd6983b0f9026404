// Regenerate the option reference in README.md from the schema (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { updateReadme } from '../dist/src/config/reference.js';

const readme = readFileSync('README.md', 'utf8');
const next = updateReadme(readme);
if (next !== readme) writeFileSync('README.md', next);
console.log(
  next === readme
    ? 'README.md: option reference up to date'
    : 'README.md: option reference updated',
);
