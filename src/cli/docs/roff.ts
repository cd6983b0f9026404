// Writing roff for man(7): text from the command definitions and the schema table, whose
// Markdown code spans become bold. Everything else is escaped so that no text can turn into
// a request or an escape sequence.

/** Plain text as roff: backslashes, minus signs, quotes and non-ASCII characters escaped. */
export function text(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/'/g, '\\(aq')
    .replace(
      /[^\x20-\x7e\n]/g,
      (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`,
    );
}

/** Markdown with code spans (`x`) as roff: code in bold. */
export function markdown(s: string): string {
  return s
    .split('`')
    .map((part, i) => (i % 2 === 1 ? `\\fB${text(part)}\\fR` : text(part)))
    .join('');
}

/** A line of running text: one starting with a period or a quote would be a request. */
export function line(s: string): string {
  return /^[.']/.test(s) ? `\\&${s}` : s;
}

/** A macro call with quoted arguments. */
export function macro(name: string, ...args: string[]): string {
  return [`.${name}`, ...args.map((a) => `"${a.replace(/"/g, '\\(dq')}"`)].join(' ');
}

/** Paragraphs of help text (separated by blank lines; lines inside one are joined). */
export function paragraphs(s: string, render: (t: string) => string = markdown): string[] {
  return s
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter((p) => p !== '')
    .flatMap((p) => ['.PP', line(render(p))]);
}

/** The page header: no date (the version says which keepsake it belongs to), no hyphenation. */
export function header(title: string, section: number, manual: string, version: string): string[] {
  // an.tmac restores hyphenation from the HY register at each paragraph: clear it there.
  return [
    macro('TH', title, String(section), '', `keepsake ${version}`, manual),
    '.nr HY 0',
    '.nh',
    '.ad l',
  ];
}
