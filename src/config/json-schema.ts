// The configuration's JSON Schema, rendered from the schema table (src/config/schema.ts) like
// the option reference, so editors complete and check exactly what keepsake accepts. It is
// `keepsake schema`'s output and /usr/share/keepsake/keepsake.schema.json in the package.

import { VERSION } from '../version.js';
import { DURATION_PATTERN, SIZE_PATTERN } from './quantities.js';
import { type OptionSpec, SCHEMA, type SectionSpec, type ValueType } from './schema.js';

export const SCHEMA_FILE = '/usr/share/keepsake/keepsake.schema.json';

/** The first line of a YAML configuration that points yaml-language-server at the schema. */
export const SCHEMA_MODELINE = `# yaml-language-server: $schema=file://${SCHEMA_FILE}`;

type Json = Record<string, unknown>;

const ref = (id: string): Json => ({ $ref: `#/definitions/${id}` });

// keepsake treats a null value as "not set" (YAML's `key:` with nothing after it), so every
// option also admits null: the schema must never flag what keepsake accepts.
function orNull(schema: Json): Json {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

function valueSchema(t: ValueType): Json {
  switch (t.kind) {
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
    case 'path':
      return { type: 'string' };
    case 'mode':
      // "0700", "u=rwx,g=rx,o=" or a number (YAML reads 0700 unquoted as one).
      return { type: ['string', 'integer'] };
    case 'account':
      return {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'integer', minimum: 0 },
        ],
      };
    case 'enum':
      return { type: 'string', enum: [...t.values] };
    case 'entries':
      return { type: 'array', items: { anyOf: [{ type: 'string' }, ref(t.entry)] } };
    case 'patterns':
    case 'paths':
      return { type: 'array', items: { type: 'string' } };
    case 'size':
      return {
        anyOf: [
          { type: 'string', pattern: SIZE_PATTERN },
          { type: 'integer', minimum: 0 },
        ],
      };
    case 'duration':
      return {
        anyOf: [
          { type: 'string', pattern: DURATION_PATTERN },
          { type: 'integer', minimum: 1 },
        ],
      };
    case 'count':
      return { type: 'integer', minimum: 1 };
    case 'section':
      return ref(t.section);
    case 'mapOf':
      return { type: 'object', additionalProperties: orNull(ref(t.section)) };
  }
}

// The table's texts are Markdown; plain `description` drops the code marks.
const plain = (markdown: string) => markdown.replace(/`/g, '');

function optionSchema(o: OptionSpec): Json {
  const markdown =
    o.default === undefined ? o.description : `${o.description} Default: ${o.default}.`;
  return {
    ...orNull(valueSchema(o.type)),
    description: plain(markdown),
    markdownDescription: markdown,
  };
}

function sectionSchema(s: SectionSpec): Json {
  const required = s.options.filter((o) => o.required).map((o) => o.name);
  return {
    title: s.title,
    description: plain(s.description),
    markdownDescription: s.description,
    type: 'object',
    properties: Object.fromEntries(s.options.map((o) => [o.name, optionSchema(o)])),
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

export function buildJsonSchema(): Json {
  const [root, ...sections] = SCHEMA;
  if (root === undefined || root.id !== 'root')
    throw new Error('the schema table must start with the top level');
  const { title: _title, ...top } = sectionSchema(root);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `keepsake ${VERSION} configuration`,
    ...top,
    definitions: Object.fromEntries(sections.map((s) => [s.id, sectionSchema(s)])),
  };
}

/** The schema as a file holds it: indented JSON and a final newline. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
