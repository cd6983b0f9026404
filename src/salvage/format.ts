// `keepsake salvage list` for people: the boots salvaged, or one boot's files and what it
// left. Pure: returns lines.

import { count, formatBytes } from '../core/text.js';
import { shortTime, sizeColumn } from '../orphans/format.js';
import type { StoredSalvage } from './record.js';

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

function state(s: StoredSalvage): string {
  if (s.record === undefined) return `PARTIAL (${s.problem ?? 'no record'})`;
  if (s.record.complete) return 'complete';
  return s.record.finishedAt === null
    ? 'PARTIAL (cut short: it never finished)'
    : 'PARTIAL (stopped early: see what it skipped)';
}

export function formatBoots(salvages: readonly StoredSalvage[], dir: string): string[] {
  if (salvages.length === 0) return [`no salvages in ${dir}`];
  const lines = [`salvages in ${dir}, oldest first:`];
  for (const s of salvages) {
    const r = s.record;
    const what = r
      ? `${count(r.files.length, 'file')}, ${formatBytes(r.bytes)}; ${r.skipped.length} skipped; started ${shortTime(r.startedAt)}`
      : '';
    lines.push(`  ${s.boot}  ${state(s)}${what ? `  ${what}` : ''}`);
  }
  return lines;
}

export function formatBoot(s: StoredSalvage): string[] {
  const lines = [`${s.boot}: ${state(s)}`];
  const r = s.record;
  if (r === undefined) return lines;
  lines.push(`started ${r.startedAt}, finished ${r.finishedAt ?? 'never'}`);
  lines.push(`kept ${count(r.files.length, 'file')}, ${formatBytes(r.bytes)}:`);
  for (const f of r.files) {
    const link = f.type === 'link' ? '  (symbolic link)' : '';
    lines.push(
      `${sizeColumn(f.size)}  ${shortTime(f.mtime)}  ${f.uid}:${f.gid} ${octal(f.mode)}  ${f.path}${link}`,
    );
  }
  if (r.skipped.length > 0) {
    lines.push(`skipped ${count(r.skipped.length, 'file')}:`);
    for (const k of r.skipped) lines.push(`${sizeColumn(k.size)}  ${k.path}: ${k.reason}`);
  }
  return lines;
}
