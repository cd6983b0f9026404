// Rules about where an entry's paths end up once joined to their store and home: paths the
// kernel would refuse as too long, targets in the kernel's own file systems, and copies that
// would land in the state keepsake keeps in each store.

import { isInside } from '../core/paths.js';
import type { Diagnostic } from '../model/types.js';
import type { Draft } from './draft.js';
import { PATH_MAX } from './paths.js';
import { quoted } from './quoted.js';

/** The context the rules here need: every entry, every store. */
interface PathRuleContext {
  drafts: readonly Draft[];
  stores: readonly string[];
}

/** A rule's error, at the option that holds the value. */
export function error(
  code: string,
  d: Pick<Draft, 'source'>,
  message: string,
  hint: string,
): Diagnostic {
  return {
    severity: 'error',
    code,
    message: `${d.source.option}: ${message}`,
    hint,
    source: d.source,
  };
}

const SURELY_SHORT = Math.floor(PATH_MAX / 3);

/** A target or a store path longer than the kernel accepts, once the pieces are joined. */
export function joinedPathLengths(ctx: PathRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of ctx.drafts) {
    // A UTF-16 code unit is at most 3 bytes in UTF-8: paths this short need no count.
    if (d.target.length <= SURELY_SHORT && d.store.length <= SURELY_SHORT) continue;
    for (const [what, path] of [
      ['target', d.target],
      ['store path', d.store],
    ] as const) {
      const bytes = Buffer.byteLength(path, 'utf8');
      if (bytes <= PATH_MAX) continue;
      out.push(
        error(
          'path-too-long',
          d,
          `its ${what} ${quoted(`${path.slice(0, 40)}...`)} is ${bytes} bytes long; a path can have at most ${PATH_MAX} bytes`,
          what === 'target'
            ? 'shorten the path or the home it is joined to'
            : 'shorten the path, or keep it in a store with a shorter path',
        ),
      );
      break;
    }
  }
  return out;
}

/**
 * File systems the kernel provides and manages itself. Like systemd, which refuses mount points
 * in them, keepsake does not persist into them: what is there is made by the kernel at every
 * boot, and a bind mount over it would hide the live state.
 */
export const API_FILESYSTEMS = ['/proc', '/sys', '/dev', '/run/mount'] as const;

/** Names keepsake owns at the top of every store: generations, home-file state. */
export const STATE_NAMES = ['.keepsake', '.keepsake-home'] as const;
const STATE_COMPONENT = '/.keepsake';

/** The first characters the API file systems' paths begin with. */
const API_STARTS = new Set(API_FILESYSTEMS.map((a) => a.slice(0, 2)));

function apiFilesystem(target: string): string | undefined {
  // Every entry is looked at: most begin with none of the API file systems' first letters.
  if (!API_STARTS.has(target.slice(0, 2))) return undefined;
  return API_FILESYSTEMS.find((a) => target === a || isInside(target, a));
}

/** The state directory of a store that `path` lies in or is, found among its own ancestors. */
function inState(path: string, stores: ReadonlySet<string>): string | undefined {
  // Each state name begins with ".keepsake": a path without "/.keepsake" has none of them as
  // a component, and most paths have none.
  if (!path.includes(STATE_COMPONENT)) return undefined;
  let p = path;
  for (;;) {
    const slash = p.lastIndexOf('/');
    if (slash <= 0) return undefined;
    const parent = p.slice(0, slash);
    const name = p.slice(slash + 1);
    if ((STATE_NAMES as readonly string[]).includes(name) && stores.has(parent)) return p;
    p = parent;
  }
}

/** Targets in an API file system; targets or copies in a store's own state. */
export function reservedPaths(ctx: PathRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stores = new Set(ctx.stores);
  for (const d of ctx.drafts) {
    const api = apiFilesystem(d.target);
    if (api !== undefined) {
      out.push(
        error(
          'api-filesystem',
          d,
          `${quoted(d.target)} is in ${api}, an API file system the kernel provides and manages; it cannot be persisted`,
          `remove the entry; what lives in ${api} is made again by the kernel at every boot`,
        ),
      );
      continue;
    }
    const state = inState(d.target, stores) ?? inState(d.store, stores);
    if (state !== undefined) {
      out.push(
        error(
          'keepsake-state',
          d,
          `its copy would be kept in ${state}, where keepsake keeps its own records of the store`,
          `persist the path from another place, or rename it: ${STATE_NAMES.join(' and ')} at the top of a store belong to keepsake`,
        ),
      );
    }
  }
  return out;
}
