// The planner's answers on real systems stay what they were: the plans for the real-world
// configurations and for a generated one of 1,300 entries, in the three situations an apply
// meets (an empty root, everything applied, the next boot's empty root with the stores kept),
// each planned on a real root in a private namespace. The reference digests are those of the
// plans a planner makes that works everything out afresh for each question (entries sorted
// pair by pair, redirects followed from scratch for every path); the mount table's answers are
// also checked against a plain scan of the real table, for every path the planner asks about.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { readMountInfo } from '../../src/system/mountinfo.js';
import {
  namespaceProblem,
  readChildJson,
  runInNamespace,
  skipUnlessCI,
} from '../helpers/ns-run.js';
import { generatedLayout } from '../helpers/plan-layout.js';
import { accountFiles, loadRealworld } from '../helpers/realworld.js';

const child = fileURLToPath(new URL('../helpers/plan-situations-child.js', import.meta.url));

type Name = 'first' | 'noop' | 'boot';
const NAMES: Name[] = ['first', 'noop', 'boot'];

interface Situation {
  plan: { actions: { kind: string }[]; problems: unknown[]; entries: unknown[] };
  table: string[];
}

/** sha256 of the plan's JSON (prefix), with its number of actions and problems. */
const REFERENCE: Record<string, Record<Name, string>> = {
  generated: {
    first: 'f09f39c35f2b6dcd 4578 actions 0 problems',
    noop: '063873ca8687cd3f 0 actions 0 problems',
    boot: '43e5ae0e814119f3 3311 actions 0 problems',
  },
  'DylanRJohnston__nixos__home-manager-persistence': {
    first: '10237f816c127594 40 actions 0 problems',
    noop: 'bffe24fafffe53f7 0 actions 0 problems',
    boot: '740b050496592dce 28 actions 0 problems',
  },
  'Guekka__nixos-server__hosts-horus': {
    first: '10943f2d0760691d 85 actions 0 problems',
    noop: '3156920060d132d9 0 actions 0 problems',
    boot: '991b9c39a38c730c 54 actions 0 problems',
  },
  'Misterio77__nix-config__home-gabriel': {
    first: 'a1960452ac524468 110 actions 0 problems',
    noop: '29302b55f3dffedc 0 actions 0 problems',
    boot: '6fd39c93cb156717 74 actions 0 problems',
  },
  'Misterio77__nix-config__hosts-merope': {
    first: '89bb05987a6161e0 72 actions 0 problems',
    noop: '171e4a33b1fe6f40 0 actions 0 problems',
    boot: '90dddef9122b7695 46 actions 0 problems',
  },
  'abehidek__nix-config__host-flex5i-impermanence': {
    first: 'ee849924ce358684 527 actions 0 problems',
    noop: '41abad3b08ad215a 0 actions 0 problems',
    boot: '8c053bfd9f225db7 397 actions 0 problems',
  },
  'abehidek__nix-config__systems-test-impermanence': {
    first: 'c9ceb2dd4f9e1f6f 100 actions 0 problems',
    noop: 'e3255edbd8ea2010 0 actions 0 problems',
    boot: '56d4c71f5993ec55 75 actions 0 problems',
  },
  'buffet__rice__impermanence-home': {
    first: '769354bb5783764a 78 actions 0 problems',
    noop: 'f20ba5d922519cd1 0 actions 0 problems',
    boot: '54ae377960e84f0b 41 actions 0 problems',
  },
  'buffet__rice__impermanence-nixos': {
    first: 'bd707eeacc769e24 36 actions 0 problems',
    noop: '2b24573e72c259ce 0 actions 0 problems',
    boot: 'c3558be42f59cb46 22 actions 0 problems',
  },
  'daluca__nix-config__modules-impermanence': {
    first: '465dc6652489c9a1 45 actions 0 problems',
    noop: 'd79be32768985ebf 0 actions 0 problems',
    boot: 'e9cc9ca11c6b307a 35 actions 0 problems',
  },
  'hatch01__server-flake__impermanence-2024-06': {
    first: '747e938a847ac47d 38 actions 0 problems',
    noop: '57447b90e9e9e959 0 actions 0 problems',
    boot: 'e14373792f5014ef 28 actions 0 problems',
  },
  'keenanweaver__nix-config__hosts-desktop-impermanence': {
    first: '15613c9ac22c9512 100 actions 0 problems',
    noop: '66225e8ae34317db 0 actions 0 problems',
    boot: '78d1a293f50e9faa 76 actions 0 problems',
  },
  'lilyinstarlight__foosteros__hosts-lia-configuration': {
    first: '2019cf49bb1bc6f6 228 actions 0 problems',
    noop: 'd90b97d419b94eac 0 actions 0 problems',
    boot: '32deba8fc866e0a3 175 actions 0 problems',
  },
  'rotmh__conf__users-rotmh-home-impermanence': {
    first: 'a5ab4ae445e03e6f 63 actions 0 problems',
    noop: 'e2bbc193b935306e 0 actions 0 problems',
    boot: '55b70eaeec876b6d 40 actions 0 problems',
  },
};

function situations(config: string, passwd: string, group: string): Record<Name, Situation> {
  const problem = namespaceProblem();
  if (problem) throw new Error(problem);
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-plan-')));
  try {
    const caseFile = path.join(base, 'case.json');
    fs.writeFileSync(caseFile, JSON.stringify({ config, passwd, group }));
    const out = readChildJson<{ ok: boolean; error?: string }>(
      runInNamespace(child, [base, caseFile]),
    );
    assert.ok(out.ok, `the child failed:\n${out.error}`);
    assert.deepEqual(
      readMountInfo().filter((m) => m.mountPoint.startsWith(base)),
      [],
      'a mount leaked out of the namespace',
    );
    return JSON.parse(fs.readFileSync(path.join(base, 'situations.json'), 'utf8'));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

function summary(s: Situation): string {
  const digest = createHash('sha256').update(JSON.stringify(s.plan)).digest('hex').slice(0, 16);
  return `${digest} ${s.plan.actions.length} actions ${s.plan.problems.length} problems`;
}

function check(name: string, got: Record<Name, Situation>) {
  for (const n of NAMES) {
    assert.deepEqual(got[n].table, [], `${name}, ${n}: the mount table answered differently`);
  }
  // The situations are what they claim to be.
  assert.ok(got.first.plan.actions.length > 0, `${name}: nothing to do on an empty root`);
  assert.equal(got.noop.plan.actions.length, 0, `${name}: the re-apply is not a no-op`);
  const actual = Object.fromEntries(NAMES.map((n) => [n, summary(got[n])]));
  assert.deepEqual(actual, REFERENCE[name], `${name}: the plans differ from the reference`);
}

const skip = skipUnlessCI(namespaceProblem());

describe('plans in the three situations', { skip }, () => {
  it('a generated configuration of 1,300 entries', () => {
    const l = generatedLayout();
    const got = situations(l.config, l.passwd, l.group);
    assert.equal(got.first.plan.entries.length, 1300);
    check('generated', got);
  });

  for (const c of loadRealworld()) {
    it(c.name, () => {
      const accounts = accountFiles(c.users, c.groups);
      check(c.name, situations(stringify(c.config), accounts.passwd, accounts.group));
    });
  }
});
