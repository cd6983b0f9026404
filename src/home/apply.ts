// One home apply, as the user whose home it is: build the content, look at the home, plan,
// and only when every target is clear cross the write boundary: record the generation as
// pending, act, run onChange commands, record it complete.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { HomeFileSet, PersistEntry } from '../model/types.js';
import { VERSION } from '../version.js';
import { buildDesired, type ContentProblem, filesArea, persistLinks } from './content.js';
import { executeHome, type HomeOutcome } from './execute.js';
import { observeHome } from './observe.js';
import { planHome } from './plan.js';
import { historyOf, listHomeGenerations, writeHomeGeneration } from './record.js';
import type { DesiredHome, HomeGeneration, HomePlan, RecordedLink } from './types.js';

export interface HomeApplyOptions {
  set: HomeFileSet;
  /**
   * The user's persistence entries to make as links (user mode), or `by-root` when root's
   * apply binds them: then links an earlier user-mode run made for them are root's to handle.
   */
  persist: readonly PersistEntry[] | 'by-root';
  /** `--backup EXT`; else the configuration's `backupExtension`. */
  backupExtension?: string;
  dryRun: boolean;
  now: Date;
  /** Re-apply this older generation's links instead of the configuration. */
  rollbackTo?: HomeGeneration;
  onOutcome?: (o: HomeOutcome) => void;
  /** Tests: stop before this action, as a crash would. */
  stopAfter?: number;
}

export interface OnChangeResult {
  target: string;
  command: string;
  status: number | null;
  output: string;
}

export interface HomeApplyResult {
  ok: boolean;
  plan?: HomePlan;
  contentProblems: ContentProblem[];
  /** The generation written; absent when nothing changed, on a dry run or on failure. */
  generation?: number;
  onChange: OnChangeResult[];
}

/** An older generation's links again; persistence links only when the user links them. */
function desiredFromGeneration(g: HomeGeneration, byRoot: boolean): DesiredHome {
  return {
    home: g.home,
    links: g.links
      .filter((l) => !byRoot || l.kind !== 'persist')
      .map((l) => ({ ...l, force: false })),
    directories: g.directories,
  };
}

function runOnChange(home: string, target: string, command: string): OnChangeResult {
  const r = spawnSync('/bin/sh', ['-c', command], { cwd: home, encoding: 'utf8' });
  return { target, command, status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function sameLinks(
  links: readonly RecordedLink[],
  directories: readonly string[],
  last: HomeGeneration | undefined,
): boolean {
  if (last === undefined || last.state !== 'complete') return false;
  const key = (ls: readonly { target: string; to: string }[]) =>
    ls
      .map((l) => `${l.target}\0${l.to}`)
      .sort()
      .join('\n');
  return key(links) === key(last.links) && directories.join('\n') === last.directories.join('\n');
}

export function applyHome(o: HomeApplyOptions): HomeApplyResult {
  const state = o.set.state.path;
  const generations = listHomeGenerations(state);
  let desired: DesiredHome;
  let contentProblems: ContentProblem[] = [];
  const byRoot = o.persist === 'by-root';
  if (o.rollbackTo !== undefined) {
    desired = desiredFromGeneration(o.rollbackTo, byRoot);
    contentProblems = desired.links
      .filter((l) => l.kind !== 'persist' && !fs.existsSync(l.to))
      .map((l) => ({
        target: l.target,
        option: `generation ${o.rollbackTo?.number}`,
        message: `its content ${l.to} is gone (expired)`,
      }));
  } else {
    const extra = o.persist === 'by-root' ? [] : persistLinks(o.persist);
    const built = buildDesired(o.set, extra, !o.dryRun);
    desired = built.desired;
    contentProblems = built.problems;
  }
  const full = historyOf(generations);
  const files = (ls: readonly RecordedLink[]) => ls.filter((l) => !byRoot || l.kind !== 'persist');
  const history = { ...full, links: files(full.links), complete: files(full.complete) };
  const backupExtension = o.backupExtension ?? o.set.backupExtension;
  const observed = observeHome(desired, history, backupExtension);
  const plan = planHome(desired, history, observed, {
    filesArea: filesArea(state),
    ...(backupExtension !== undefined ? { backupExtension } : {}),
  });
  const result: HomeApplyResult = { ok: false, plan, contentProblems, onChange: [] };
  // Persistence links of a user's own run stay in the record when root binds: the user's
  // next run still knows them.
  const links = [...plan.links, ...full.links.filter((l) => byRoot && l.kind === 'persist')];
  if (plan.problems.length > 0 || contentProblems.length > 0) return result;
  const last = generations.at(-1);
  if (o.dryRun) return { ...result, ok: true };
  const onOutcome = o.onOutcome ?? (() => {});
  if (sameLinks(links, plan.directories, last) && plan.changed.length === 0) {
    // The current generation again (its links wiped with a tmpfs home, say): no new one.
    return { ...result, ok: executeHome(plan.actions, onOutcome, o.stopAfter) };
  }
  // The write boundary: from here on the home changes. The record comes first, so links an
  // interrupted run made are known to the next one.
  const number = (last?.number ?? 0) + 1;
  const record: HomeGeneration = {
    version: 1,
    number,
    state: 'pending',
    appliedAt: o.now.toISOString(),
    keepsake: VERSION,
    user: o.set.user.user,
    home: o.set.user.path,
    links,
    directories: plan.directories,
    ...(o.rollbackTo !== undefined ? { rollbackOf: o.rollbackTo.number } : {}),
  };
  writeHomeGeneration(state, record);
  if (!executeHome(plan.actions, onOutcome, o.stopAfter)) return result;
  result.onChange = plan.changed.map((c) => runOnChange(o.set.user.path, c.target, c.onChange));
  writeHomeGeneration(state, { ...record, state: 'complete' });
  return { ...result, ok: true, generation: number };
}
