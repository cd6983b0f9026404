import { describeHomeGeneration } from '../../home/format.js';
import { listHomeGenerations } from '../../home/record.js';
import { openHomeSession } from '../../home/session.js';
import type { HomeGenerationsOptions } from '../declare/home.js';
import type { Output } from '../output.js';

/** The home generations of the user (as root: of every user with home files). */
export async function run(opts: HomeGenerationsOptions, out: Output): Promise<number> {
  const session = openHomeSession(opts);
  const sets = session.mode === 'root' ? session.sets : [session.set];
  for (const set of sets) {
    const list = listHomeGenerations(set.state.path);
    const current = [...list].reverse().find((g) => g.state === 'complete')?.number;
    if (out.json) {
      out.record('home.generations', {
        user: set.user.user,
        store: set.state.path,
        current: current ?? null,
        generations: list.map(({ links, directories, ...g }) => ({ ...g, links: links.length })),
      });
      continue;
    }
    out.line(out.paint('bold', `${set.user.user}: ${set.state.path}`));
    if (list.length === 0) out.line('  no home generations yet: run keepsake home apply');
    for (const g of list) out.line(describeHomeGeneration(g, g.number === current));
  }
  return 0;
}
