// The Prometheus text exposition format (0.0.4), as node_exporter's textfile collector reads
// it: a HELP and a TYPE line per family, then its samples. Only gauges are written: every
// figure keepsake reports can go down as well as up.

export interface SampleSpec {
  labels?: Record<string, string>;
  value: number;
}

export interface FamilySpec {
  name: string;
  help: string;
  samples: SampleSpec[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the format quotes it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text escapes only backslash and newline. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** Go's float syntax: integers exactly, NaN and ±Inf by name. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(0) : String(v);
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [name] of entries) {
    // Label names come from keepsake's own code, never from data: a bad one is a bug.
    if (!LABEL_NAME.test(name) || name.startsWith('__'))
      throw new Error(`invalid label name ${JSON.stringify(name)}`);
  }
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** The text of the families that have samples; each family's lines are contiguous. */
export function formatFamilies(families: readonly FamilySpec[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`invalid metric name ${JSON.stringify(f.name)}`);
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} gauge`);
    for (const s of f.samples)
      lines.push(`${f.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
