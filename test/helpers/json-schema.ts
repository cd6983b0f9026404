// A validator for the part of JSON Schema that keepsake's record schemas use: type, const,
// enum, properties, required, items. `strict` also reports a top-level field the schema does
// not list, so that every field printed is a documented one.

import type { Schema } from '../../src/cli/records.js';

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Every way `value` breaks `schema`, each as `path: what`; none when it conforms. */
export function validate(schema: Schema, value: unknown, strict = false, at = '$'): string[] {
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    const fits = allowed.includes(t as never) || (t === 'integer' && allowed.includes('number'));
    if (!fits) return [`${at}: is ${t}, not ${allowed.join(' or ')}`];
  }
  if (schema.const !== undefined && value !== schema.const)
    errors.push(`${at}: is ${JSON.stringify(value)}, not ${JSON.stringify(schema.const)}`);
  if (schema.enum !== undefined && !schema.enum.includes(value as never))
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (typeOf(value) === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in o)) errors.push(`${at}: lacks ${k}`);
    for (const [k, v] of Object.entries(o)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, false, `${at}.${k}`));
      else if (strict || schema.additionalProperties === false)
        errors.push(`${at}: ${k} is not in the schema`);
    }
  }
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => {
      errors.push(...validate(schema.items as Schema, v, false, `${at}[${i}]`));
    });
  return errors;
}
