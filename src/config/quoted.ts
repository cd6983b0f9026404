// How a value from the configuration appears in a message: as JSON, and cut short when long. A
// message quotes what it is about; a value of a hundred kilobytes, repeated by YAML aliases,
// must not turn a few thousand messages into gigabytes.

const MAX = 100;

/** `value` as JSON, at most about MAX characters, with the length of what was left out. */
export function quoted(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  if (json.length <= MAX) return json;
  return `${json.slice(0, MAX - 20)}..." (${json.length - 2} characters)`;
}
