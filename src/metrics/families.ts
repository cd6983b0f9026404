// The metrics, named by Prometheus' rules: the `keepsake_` prefix, base units (seconds,
// bytes), and no `_total`, since every figure here is a gauge that can go down.

import { VERSION } from '../version.js';
import { type FamilySpec, formatFamilies } from './exposition.js';
import type { Figures } from './figures.js';

const one = (value: number) => [{ value }];

export function metricsText(f: Figures, version = VERSION): string {
  const families: FamilySpec[] = [
    {
      name: 'keepsake_build_info',
      help: 'The version of keepsake that wrote these metrics; always 1.',
      samples: [{ labels: { version }, value: 1 }],
    },
    {
      name: 'keepsake_entries',
      help: 'Declared entries by state, as keepsake status judges them: ok (in place), pending (apply has steps to take), refused (apply would refuse it).',
      samples: (['ok', 'pending', 'refused'] as const).map((state) => ({
        labels: { state },
        value: f.entries[state],
      })),
    },
    {
      name: 'keepsake_entries_live',
      help: 'Declared entries by what the live system shows at their target, as keepsake status --json reports it (live): mounted, linked, covered (inside a parent entry), missing, wrong-source, shadowed, occupied (data of its own).',
      samples: Object.entries(f.live).map(([live, value]) => ({ labels: { live }, value })),
    },
    {
      name: 'keepsake_skipped_entries',
      help: 'Declared entries the last apply of this boot left out (apply --keep-going).',
      samples: one(f.skipped),
    },
  ];
  if (f.lastApply) {
    const at = Date.parse(f.lastApply.finishedAt) / 1000;
    families.push(
      {
        name: 'keepsake_last_apply_success',
        help: 'Whether the last apply of this boot exited 0: every entry in place, none skipped.',
        samples: one(f.lastApply.ok ? 1 : 0),
      },
      {
        name: 'keepsake_last_apply_timestamp_seconds',
        help: 'When the last apply of this boot ended, in seconds since the epoch.',
        samples: one(at),
      },
      {
        name: 'keepsake_apply_duration_seconds',
        help: 'How long the last apply of this boot took, in seconds.',
        samples: Number.isFinite(f.lastApply.durationSeconds)
          ? one(f.lastApply.durationSeconds)
          : [],
      },
    );
  }
  families.push({
    name: 'keepsake_salvaged_bytes',
    help: 'Bytes kept by complete salvage runs, over every store.',
    samples: one(f.salvagedBytes),
  });
  if (f.walked) {
    families.push(
      {
        name: 'keepsake_undeclared_bytes',
        help: 'Bytes on the ephemeral file systems that are not declared, as keepsake diff counts them: what the next reboot wipes.',
        samples: one(f.walked.undeclaredBytes),
      },
      {
        name: 'keepsake_undeclared_files',
        help: 'Files (everything but directories) on the ephemeral file systems that are not declared, as keepsake diff counts them.',
        samples: one(f.walked.undeclaredFiles),
      },
      {
        name: 'keepsake_escaped_paths',
        help: 'Declared entries whose bind mount or link was replaced by data of their own (keepsake diff: escaped state).',
        samples: one(f.walked.escaped),
      },
      {
        name: 'keepsake_orphan_bytes',
        help: 'Bytes in the stores that no entry refers to, as keepsake orphans lists them.',
        samples: one(f.walked.orphanBytes),
      },
      {
        name: 'keepsake_diff_timestamp_seconds',
        help: 'When the trees were last walked for the undeclared, escaped and orphan figures, in seconds since the epoch.',
        samples: one(f.walked.at),
      },
    );
  }
  return formatFamilies(families);
}
