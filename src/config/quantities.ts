// Sizes and durations as the configuration writes them (`256M`, `30s`), read into bytes and
// milliseconds. Pure; the JSON Schema checks the same forms with the patterns below.

/** `512`, `64K`, `256M`, `1G` (binary units; `KiB`, `MB` and the like also read). */
export const SIZE_PATTERN = '^\\s*[0-9]+\\s*([kKmMgGtT](i?[bB])?|[bB])?\\s*$';
/** `45`, `30s`, `2m`, `1h`. */
export const DURATION_PATTERN = '^\\s*[0-9]+\\s*(s|m|h|sec|min)?\\s*$';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** Bytes, or undefined when the value is not a size. */
export function parseSizeValue(value: string | number): number | undefined {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = new RegExp(SIZE_PATTERN).exec(value);
  if (!m) return undefined;
  const unit = (m[1] ?? '').replace(/i?b$/i, '').toLowerCase();
  const n = Number.parseInt(value, 10) * SIZE_UNITS[unit]!;
  return Number.isSafeInteger(n) ? n : undefined;
}

const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, sec: 1, m: 60, min: 60, h: 3600 };

/** Milliseconds, or undefined when the value is not a duration of at least one second. */
export function parseDurationValue(value: string | number): number | undefined {
  const seconds =
    typeof value === 'number'
      ? value
      : (() => {
          const m = new RegExp(DURATION_PATTERN).exec(value);
          return m ? Number.parseInt(value, 10) * DURATION_UNITS[m[1] ?? '']! : Number.NaN;
        })();
  return Number.isSafeInteger(seconds) && seconds >= 1 ? seconds * 1000 : undefined;
}
