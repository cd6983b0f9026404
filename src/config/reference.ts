// The option reference (docs/reference.md), rendered from the schema so the two cannot drift
// apart (test/unit/reference.test.ts compares them).

import { SCHEMA, type SectionSpec } from './schema.js';

export const REFERENCE_START = '<!-- option reference: generated from src/config/schema.ts -->';
export const REFERENCE_END = '<!-- end of option reference -->';

function renderSection(s: SectionSpec): string {
  const rows = s.options.map((o) => {
    const def = o.default === undefined ? (o.required ? 'required' : '') : `\`${o.default}\``;
    return `| \`${o.name}\` | ${o.typeLabel} | ${def} | ${o.description.replace(/\|/g, '\\|')} |`;
  });
  const where = s.path ? ` (\`${s.path}\`)` : '';
  return [
    `## ${s.title}${where}`,
    '',
    s.description,
    '',
    '| option | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

export function renderReference(): string {
  return [
    REFERENCE_START,
    '',
    ...SCHEMA.map(renderSection).flatMap((s) => [s, '']),
    REFERENCE_END,
  ].join('\n');
}

/** Replace the generated block of a page with a fresh rendering. */
export function updateReference(page: string): string {
  const start = page.indexOf(REFERENCE_START);
  const end = page.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error('the page has no option reference markers');
  return page.slice(0, start) + renderReference() + page.slice(end + REFERENCE_END.length);
}
