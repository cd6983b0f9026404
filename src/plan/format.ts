// Plain-text descriptions of plans, actions and problems, for people. Pure: returns strings.

import { count } from '../core/text.js';
import type { ContentSummary } from '../model/observed.js';
import type { Action, EntryPlan, Problem, Released } from './types.js';

const octal = (mode: number) => mode.toString(8).padStart(4, '0');
const owner = (uid: number, gid: number) => `${uid}:${gid}`;

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'mkdir':
      return `mkdir   ${a.path}  (${owner(a.uid, a.gid)} ${octal(a.mode)}; ${a.reason})`;
    case 'create-file':
      return `create  ${a.path}  (${owner(a.uid, a.gid)} ${octal(a.mode)}; ${a.reason})`;
    case 'chown':
      return `chown   ${a.path}  ${owner(a.was.uid, a.was.gid)} → ${owner(a.uid, a.gid)}  (${a.reason})`;
    case 'chmod':
      return `chmod   ${a.path}  ${octal(a.was)} → ${octal(a.mode)}  (${a.reason})`;
    case 'bind':
      return `bind    ${a.source} → ${a.target}${a.propagation ? `  (then make it a ${a.propagation})` : ''}`;
    case 'propagation':
      return `slave   ${a.target}  (${a.reason})`;
    case 'symlink':
      // The plain reason ("persist X") says nothing the line does not; others explain.
      return `link    ${a.path} → ${a.to}${a.reason.startsWith('persist ') ? '' : `  (${a.reason})`}`;
    case 'utab':
      return a.remove
        ? `utab    ${a.target}  (drop its line)`
        : `utab    ${a.target}  ${a.options.join(',')}`;
    case 'unmount':
      return `unmount ${a.target}  (${a.reason}; ${a.source} keeps its data)`;
    case 'unlink':
      return `unlink  ${a.path} → ${a.to}  (${a.reason})`;
    case 'adopt':
      return `adopt   ${a.from} → ${a.to}  (${a.resume ? 'continued; ' : ''}${a.files} files, ${a.bytes} bytes; ${a.how === 'backup' ? 'set aside: ' : ''}${a.reason})`;
    case 'remove':
      return `remove  ${a.path}  (if still empty: ${a.reason})`;
    case 'adopt-finish':
      return `settle  ${a.from} → ${a.to}  (${a.reason})`;
  }
}

export function describeContents(c: ContentSummary): string {
  const more = c.truncated ? ' or more' : '';
  const sample = c.sample.length > 0 ? `; e.g. ${c.sample.join(', ')}` : '';
  return `${count(c.files, 'file')}, ${count(c.directories, 'directory', 'directories')}, ${count(c.bytes, 'byte')}${more}${sample}`;
}

export function describeProblem(p: Problem): string[] {
  const lines = [`${p.entry}: ${p.message}`];
  if (p.contents) lines.push(`  contents: ${describeContents(p.contents)}`);
  lines.push(`  fix: ${p.hint}`);
  return lines;
}

export function describeEntryState(e: EntryPlan): string {
  const how = e.mechanism === 'covered' ? 'inside its parent entry' : `${e.live}`;
  return `${e.state.padEnd(8)} ${how.padEnd(13)} ${e.target}  ← ${e.store}`;
}

/** Entries the configuration dropped: what happened to them, and where their data stays. */
export function describeReleased(released: readonly Released[]): string[] {
  const out: string[] = [];
  for (const r of released) {
    const what =
      r.outcome === 'taken-down' ? 'taken down' : r.outcome === 'left' ? 'left alone' : 'not live';
    out.push(
      `released ${r.target} (${what}${r.note ? `: ${r.note}` : ''}); its data stays in ${r.store}`,
    );
  }
  return out;
}
