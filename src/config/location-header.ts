// The options of a storage location, under `persistence` or a user's Home Manager
// `persistence`: where its store is, whether it is enabled, and the defaults its entries take.

import { quoted } from './quoted.js';
import type { Position, RawNode, Segment } from './raw.js';
import { describe, optionPath, type Reporter } from './reporter.js';
import { section as sectionSpec } from './schema.js';
import { bool, type Fields, readSection, str } from './sections.js';
import { absolutePath } from './values.js';

export interface LocationInfo {
  storePath: string;
  enabled: boolean;
  hideMounts: boolean;
  allowTrash: boolean;
  /** Move data found at targets into the store instead of refusing (see `adopt`). */
  adopt: boolean;
  enableWarnings?: boolean;
  enableDebugging?: boolean;
  fields: Fields;
}

/** Options of a storage location that are also what someone forgets the location key for. */
export function readLocationHeader(
  r: Reporter,
  key: string,
  keyPos: Position,
  node: RawNode,
  id: 'location' | 'homeLocation',
  at: readonly Segment[],
): LocationInfo | undefined {
  const spec = sectionSpec(id);
  if (spec.options.some((o) => o.name === key)) {
    const parent = optionPath(at.slice(0, -1));
    r.error(
      'missing-location',
      at,
      keyPos,
      `\`${key}\` is an option of a storage location, but it is written where a location belongs`,
      `nest it under a location: ${parent}."/persist".${key}`,
    );
    return undefined;
  }
  const fields = readSection(r, id === 'location' ? withoutAllowOther(r, node, at) : node, id, at);
  if (fields === undefined) return undefined;
  const psp = str(fields, 'persistentStoragePath');
  let storePath: string | undefined;
  if (psp !== undefined) {
    storePath = absolutePath(r, psp.value, [...at, 'persistentStoragePath'], psp.node.pos);
  } else if (key.trim().startsWith('/')) {
    storePath = absolutePath(r, key, at, keyPos);
  } else {
    r.error(
      'location-not-path',
      at,
      keyPos,
      `the location ${quoted(key)} is a name, not a path, and has no persistentStoragePath`,
      `set persistentStoragePath (e.g. persistentStoragePath: "/persist"), or use the store's path as the key`,
    );
  }
  if (storePath === undefined) return undefined;
  const info: LocationInfo = {
    storePath,
    enabled: bool(fields, 'enable') ?? true,
    hideMounts: bool(fields, 'hideMounts') ?? false,
    allowTrash: bool(fields, 'allowTrash') ?? false,
    adopt: bool(fields, 'adopt') ?? false,
    fields,
  };
  const warnings = bool(fields, 'enableWarnings');
  if (warnings !== undefined) info.enableWarnings = warnings;
  const debugging = bool(fields, 'enableDebugging');
  if (debugging !== undefined) info.enableDebugging = debugging;
  return info;
}

/**
 * Home Manager's newer layout writes `allowOther` on the location, next to the entries keepsake
 * reads under `users.<user>`. It is a bindfs (FUSE) setting with nothing to do for kernel bind
 * mounts: accepted there when it is a boolean, and ignored, as under `users.<user>.persistence`.
 */
function withoutAllowOther(r: Reporter, node: RawNode, at: readonly Segment[]): RawNode {
  if (node.kind !== 'map') return node;
  const entry = node.entries.find((e) => e.key === 'allowOther');
  if (entry === undefined) return node;
  const v = entry.value;
  if (!(v.kind === 'scalar' && (typeof v.value === 'boolean' || v.value === null))) {
    r.error(
      'wrong-type',
      [...at, 'allowOther'],
      v.pos,
      `expected true or false, got ${describe(v)}`,
      'write allowOther: true, or remove it (keepsake ignores it)',
    );
  }
  return { ...node, entries: node.entries.filter((e) => e !== entry) };
}
