// What the next shutdown's salvage will keep and leave, for `keepsake diff`: the same
// selection `salvage run` makes, computed without copying anything.

import { count, formatBytes } from '../core/text.js';
import type { Model } from '../model/types.js';
import { planSalvage } from './run.js';

export interface SalvagePreview {
  keeps: { files: number; bytes: number };
  over: { files: number; bytes: number };
  maxBytes: number;
  /** Changed files no budget can take (names that are not UTF-8). */
  unusable: number;
}

/** Undefined when salvage is off, or cannot be planned here (no boot id, no store). */
export function previewSalvage(root: string, model: Model): SalvagePreview | undefined {
  if (model.salvage?.enable !== true) return undefined;
  try {
    const { selection, settings, unusable } = planSalvage(root, model);
    const sum = (xs: { size: number }[]) => xs.reduce((n, x) => n + x.size, 0);
    return {
      keeps: { files: selection.kept.length, bytes: sum(selection.kept) },
      over: { files: selection.over.length, bytes: sum(selection.over) },
      maxBytes: settings.maxBytes,
      unusable: unusable.length,
    };
  } catch {
    return undefined;
  }
}

export function describePreview(p: SalvagePreview): string {
  const total = p.keeps.files + p.over.files + p.unusable;
  const over =
    p.over.files > 0
      ? `; ${count(p.over.files, 'file')} (${formatBytes(p.over.bytes)}) over its budget of ${formatBytes(p.maxBytes)}, not kept`
      : '';
  return `at shutdown, salvage keeps ${count(p.keeps.files, 'file')} (${formatBytes(p.keeps.bytes)}) of the ${total} changed since boot${over}`;
}
