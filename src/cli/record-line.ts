// A record as its line of JSON text, on its own: the settled apply (settled.ts) prints one
// without loading every record's definition (records.ts).

/** `record` and `version` first, then the value's fields (without the newline). */
export function recordLineOf(name: string, version: number, value: object): string {
  // Spread after the two keys: a value's own `version` (the plan's) cannot move them.
  return JSON.stringify({ record: name, version, ...value });
}
