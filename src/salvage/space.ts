// How much the salvages take, for `keepsake status`: boots kept, bytes, and how many are
// partial. Only reads the records.

import { count, formatBytes } from '../core/text.js';
import type { Model } from '../model/types.js';
import { listSalvages, salvageDir } from './record.js';
import { salvageSettings } from './settings.js';

export interface SalvageSpace {
  enabled: boolean;
  dir: string;
  boots: number;
  bytes: number;
  partial: number;
  newest?: string;
}

/** Undefined when the configuration has no storage location to salvage into. */
export function salvageSpace(root: string, model: Model): SalvageSpace | undefined {
  if (model.salvage === undefined && model.entries.length === 0) return undefined;
  let settings: ReturnType<typeof salvageSettings>;
  try {
    settings = salvageSettings(model);
  } catch {
    return undefined;
  }
  const all = listSalvages(root, settings.store);
  const newest = all.at(-1)?.boot;
  return {
    enabled: settings.enable,
    dir: salvageDir(settings.store),
    boots: all.length,
    bytes: all.reduce((n, s) => n + (s.record?.bytes ?? 0), 0),
    partial: all.filter((s) => s.record?.complete !== true).length,
    ...(newest !== undefined ? { newest } : {}),
  };
}

export function describeSpace(s: SalvageSpace): string {
  const state = s.enabled ? 'on' : 'off (salvage.enable)';
  if (s.boots === 0) return `salvage: ${state}; nothing salvaged in ${s.dir}`;
  const partial = s.partial > 0 ? `, ${s.partial} partial` : '';
  return `salvage: ${state}; ${count(s.boots, 'boot')} kept in ${s.dir}, ${formatBytes(s.bytes)}${partial} (keepsake salvage list)`;
}
