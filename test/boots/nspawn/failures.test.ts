// Real boots where something is wrong at boot, or where systemd's own units meet keepsake's:
// data already at one target (compiled mode: that entry fails loudly, the others are bound),
// a store whose file system is not mounted (nothing is created or bound on the root, the
// failure is listed), SSH host keys on a fresh store, and a persisted machine id (its commit
// never fails). Every boot must end as systemd sees it: `running`, or `degraded` with exactly
// the unit the test provokes failed, and a shutdown without unmount errors.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipUnlessCI } from '../../helpers/ns-run.js';
import { nspawnProblem } from './container.js';
import {
  assertBootEnded,
  assertBound,
  assertContent,
  assertMissing,
  assertNotMounted,
  bootedAndProbed,
  unmountFailures,
} from './expect.js';
import {
  CONFIG_IN_STORE,
  compiledMode,
  downSteps,
  type Mode,
  serviceMode,
  unitRuns,
} from './modes.js';
import type { ProbeSteps } from './probe.js';
import { type Booted, TestBed } from './testbed.js';

const problem = nspawnProblem();
const skip = skipUnlessCI(problem);

const KEY = '/etc/ssh/ssh_host_ed25519_key';
const PRIVATE_KEY = /^-----BEGIN OPENSSH PRIVATE KEY-----\n/;

interface BootOptions {
  mode: Mode;
  up?: ProbeSteps;
  final?: ProbeSteps;
  occupy?: Record<string, string>;
  storeMounted?: boolean;
  /** Leave the SSH host key unit out, as in the initrd (which has no ssh-keygen). */
  noKeyUnit?: boolean;
}

function bootOn(bed: TestBed, o: BootOptions): Promise<Booted> {
  return bed.boot({
    install: (unitDir) => {
      o.mode.install(bed, unitDir);
      if (o.noKeyUnit)
        for (const f of fs.readdirSync(unitDir, { recursive: true }))
          if (String(f).endsWith('keepsake-ssh-host-keys.service'))
            fs.rmSync(path.join(unitDir, String(f)));
    },
    up: { ...o.up, run: { ...unitRuns(o.mode), ...o.up?.run } },
    down: downSteps(o.mode),
    ...(o.final ? { final: o.final } : {}),
    ...(o.occupy ? { occupy: o.occupy } : {}),
    ...(o.storeMounted === false ? { storeMounted: false } : {}),
  });
}

/** A test bed whose store holds `config` (and is removed after the suite). */
function bedWith(config: string): () => TestBed {
  let bed: TestBed | undefined;
  before(() => {
    if (problem) throw new Error(`CI=true and booting a container is impossible here: ${problem}`);
    bed = new TestBed();
    fs.writeFileSync(path.join(bed.store, CONFIG_IN_STORE), config);
  });
  after(() => bed?.cleanup());
  return () => {
    assert.ok(bed);
    return bed;
  };
}

const journalOf = (unit: string) => ['journalctl', '-b', '--no-pager', '-o', 'cat', '-u', unit];

describe('nspawn boots: data at one target, compiled mode', { skip }, () => {
  const bed = bedWith(`persistence:
  /persist:
    directories: [/var/lib/app, /var/lib/other]
    files: [/etc/app.conf]
`);

  test('that entry fails loudly and its data stays visible; the other entries are bound', async () => {
    const b = await bootOn(bed(), {
      mode: compiledMode,
      occupy: { '/var/lib/app/foreign.txt': 'written before keepsake\n' },
      up: {
        inspect: ['/var/lib/app/foreign.txt'],
        run: { check: journalOf('keepsake-check-var-lib-app.service') },
      },
      final: { run: { target: ['systemctl', 'is-active', 'keepsake.target'] } },
    });
    const up = bootedAndProbed(b);
    assertBound(b, up, '/var/lib/other', 'var/lib/other');
    assertBound(b, up, '/etc/app.conf', 'etc/app.conf');
    assertNotMounted(b, up, '/var/lib/app');
    assertContent(b, up, '/var/lib/app/foreign.txt', 'written before keepsake\n');
    assert.match(
      up.runs.check?.stdout ?? '',
      /\/var\/lib\/app already holds data \(the directory is not empty\)/,
      b.describe(),
    );
    // The failure is listed; the target does not claim what did not happen.
    assertBootEnded(b, ['keepsake-check-var-lib-app.service']);
    assert.notEqual(b.final?.runs.target?.stdout.trim(), 'active', b.describe());
    assert.deepEqual(unmountFailures(b.console), [], b.describe());
    assert.deepEqual(fs.readdirSync(path.join(bed().store, 'var/lib/app')), []);
  });
});

const keyConfig = `persistence:
  /persist:
    directories: [/var/lib/app]
    files: [${KEY}, ${KEY}.pub]
`;

for (const mode of [compiledMode, serviceMode]) {
  describe(`nspawn boots: the store not mounted, ${mode.name}`, { skip }, () => {
    const bed = bedWith(keyConfig);
    // Service mode reads its configuration from the store: the check comes before that.
    const failing = mode === compiledMode ? 'keepsake-prepare.service' : 'keepsake.service';

    test('nothing is created or bound on the root, no key is made, and the failure is listed', async () => {
      const b = await bootOn(bed(), {
        mode,
        storeMounted: false,
        up: {
          inspect: ['/persist', KEY, `${KEY}.pub`, '/var/lib/app'],
          run: { failing: journalOf(failing) },
        },
        final: { run: { target: ['systemctl', 'is-active', mode.unit] } },
      });
      const up = bootedAndProbed(b);
      const persist = up.paths['/persist'];
      assert.ok(
        persist?.type === 'missing' ||
          (persist?.type === 'directory' && persist.names?.length === 0),
        `the store was made on the root: ${JSON.stringify(persist)}\n${b.describe()}`,
      );
      assertMissing(b, up, KEY);
      assertMissing(b, up, `${KEY}.pub`);
      assertNotMounted(b, up, '/var/lib/app');
      assert.match(
        up.runs.failing?.stdout ?? '',
        /the store \/persist is not a mounted file system/,
        b.describe(),
      );
      const provoked =
        mode === serviceMode ? [failing, 'keepsake-ssh-host-keys.service'] : [failing];
      assertBootEnded(b, provoked);
      assert.notEqual(b.final?.runs.target?.stdout.trim(), 'active', b.describe());
      assert.deepEqual(unmountFailures(b.console), [], b.describe());
    });
  });

  describe(`nspawn boots: SSH host keys on a fresh store, ${mode.name}`, { skip }, () => {
    const bed = bedWith(keyConfig);
    let first = '';

    test('first boot: the keys are made in the store and bound', async () => {
      const b = await bootOn(bed(), {
        mode,
        up: { inspect: [KEY] },
      });
      const up = bootedAndProbed(b);
      assertBound(b, up, KEY, KEY.slice(1));
      assert.match(up.paths[KEY]?.content ?? '', PRIVATE_KEY, b.describe());
      assert.equal(up.runs.status?.status, 0, `${up.runs.status?.stdout}\n${b.describe()}`);
      first = fs.readFileSync(path.join(bed().store, KEY), 'utf8');
      assert.match(fs.readFileSync(path.join(bed().store, `${KEY}.pub`), 'utf8'), /^ssh-ed25519 /);
      assertBootEnded(b);
      assert.deepEqual(unmountFailures(b.console), [], b.describe());
    });

    test('second boot: the same keys', async () => {
      const b = await bootOn(bed(), { mode, up: { inspect: [KEY] } });
      const up = bootedAndProbed(b);
      assertBound(b, up, KEY, KEY.slice(1));
      assert.equal(up.paths[KEY]?.content, first, b.describe());
      assertBootEnded(b);
    });
  });
}

describe('nspawn boots: an empty host key in the store, compiled mode without the key unit', {
  skip,
}, () => {
  const bed = bedWith(keyConfig);

  test('the empty key is not bound, status reports it; ssh-keygen -A -f /persist then works', async () => {
    // Left by an earlier boot that bound empty files.
    fs.mkdirSync(path.join(bed().store, 'etc/ssh'), { recursive: true });
    fs.writeFileSync(path.join(bed().store, KEY), '');
    const b = await bootOn(bed(), {
      mode: compiledMode,
      noKeyUnit: true,
      up: {
        inspect: [KEY, '/persist/etc/ssh'],
        run: {
          keygen: ['/bin/sh', '-c', `rm -f /persist${KEY} && ssh-keygen -A -f /persist`],
          after: ['ls', '/persist/etc/ssh'],
        },
      },
    });
    const up = bootedAndProbed(b);
    assertNotMounted(b, up, KEY);
    assertMissing(b, up, KEY);
    assert.notEqual(up.runs.status?.status, 0, `status says all is in place\n${b.describe()}`);
    assert.match(up.runs.status?.stdout ?? '', /ssh_host_ed25519_key/, b.describe());
    // The documented procedure, on the directory the prepare service made.
    assert.equal(up.runs.keygen?.status, 0, up.runs.keygen?.stderr);
    assert.match(up.runs.after?.stdout ?? '', /ssh_host_ed25519_key\n/, b.describe());
    assert.match(fs.readFileSync(path.join(bed().store, KEY), 'utf8'), PRIVATE_KEY);
    assertBootEnded(b);
  });
});

for (const mode of [serviceMode, compiledMode]) {
  describe(`nspawn boots: a persisted machine id, ${mode.name}`, { skip }, () => {
    const bed = bedWith(`persistence:
  /persist:
    directories: [/var/lib/app]
    files: [/etc/machine-id]
`);
    const stored = () => fs.readFileSync(path.join(bed().store, 'etc/machine-id'), 'utf8');
    let id = '';

    for (const n of [1, 2])
      test(`boot ${n}: the id is kept in the store, and systemd-machine-id-commit does not fail`, async () => {
        const b = await bootOn(bed(), {
          mode,
          up: {
            inspect: ['/etc/machine-id'],
            run: { mounts: ['grep', ' /etc/machine-id ', '/proc/self/mountinfo'] },
          },
        });
        const up = bootedAndProbed(b);
        const running = up.paths['/etc/machine-id']?.content ?? '';
        assert.match(running, /^[0-9a-f]{32}\n$/, `no machine id is visible\n${b.describe()}`);
        // The first boot's id is kept, and stays the stored one.
        if (n === 1) id = running;
        assert.equal(stored(), id, b.describe());
        // Service mode binds it (over systemd's transient id, which it replaces); compiled units
        // for the booted system cannot (systemd's own mount is there first): the id is copied.
        if (mode === serviceMode) {
          assert.equal(running, id, b.describe());
          assert.equal(up.runs.mounts?.stdout.trim().split('\n').length, 1, b.describe());
          assertBound(b, up, '/etc/machine-id', 'etc/machine-id');
        }
        assertBootEnded(b);
        assert.deepEqual(
          unmountFailures(b.console, { machineId: mode === serviceMode }),
          [],
          b.describe(),
        );
      });
  });
}
