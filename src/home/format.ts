// Home actions, problems and generations as the terminal shows them.

import type { ContentProblem } from './content.js';
import type { HomeAction, HomeGeneration, HomeProblem } from './types.js';

export function describeHomeAction(a: HomeAction): string {
  switch (a.kind) {
    case 'backup':
      return `back up ${a.path} to ${a.to}`;
    case 'remove':
      return `remove ${a.path} (${a.why === 'identical' ? 'identical to the declared file' : 'force'})`;
    case 'unlink':
      return `remove stale link ${a.path}`;
    case 'rmdir':
      return `remove empty directory ${a.path}`;
    case 'mkdir':
      return `create directory ${a.path}`;
    case 'mkdir-store':
      return `create store directory ${a.path}`;
    case 'link':
      return `link ${a.path} → ${a.to}`;
  }
}

export function describeHomeProblem(p: HomeProblem): string[] {
  return [`${p.code}: ${p.message}`, `  hint: ${p.hint}`];
}

export function describeContentProblem(p: ContentProblem): string[] {
  return [
    `${p.option}: ${p.message}`,
    '  hint: fix the source path, or make it readable by the user',
  ];
}

export function describeHomeGeneration(g: HomeGeneration, current: boolean): string {
  const mark = current ? '* ' : '  ';
  const rb = g.rollbackOf ? `  (rollback to ${g.rollbackOf})` : '';
  const pending = g.state === 'pending' ? '  (interrupted)' : '';
  return `${mark}${String(g.number).padStart(4)}  ${g.appliedAt}  ${String(g.links.length).padStart(4)} links${rb}${pending}`;
}
