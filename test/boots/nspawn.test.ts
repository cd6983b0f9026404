// Real boots: systemd boots this machine's /usr in a container with an empty tmpfs root and a
// persistent store at /persist, keepsake's units installed as a system would install them
// (`install-service`, or `compile --systemd`), and a probe unit that looks at the system as soon
// as local file systems are up. Boots repeat over the same store: what was declared survives,
// everything else is gone, configuration changes take effect, shutdown is clean, and a broken
// configuration fails loudly without stopping the boot.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipUnlessCI } from '../helpers/ns-run.js';
import { nspawnProblem } from './nspawn/container.js';
import {
  assertBootEnded,
  assertBound,
  assertContent,
  assertFilePlaced,
  assertFromPackage,
  assertMissing,
  assertNotMounted,
  assertWritesDone,
  bootedAndProbed,
  PACKAGE_PATHS,
  storeFiles,
  unmountFailures,
} from './nspawn/expect.js';
import {
  CONFIG_IN_STORE,
  compiledMode,
  downSteps,
  KEEPSAKE,
  type Mode,
  serviceMode,
  unitRuns,
} from './nspawn/modes.js';
import type { ProbeSteps } from './nspawn/probe.js';
import { type Booted, TestBed } from './nspawn/testbed.js';
import { tmpfsHomeUnit } from './nspawn/units.js';

/** Store content that is not persisted data. */
const NOT_DATA = [CONFIG_IN_STORE, '.keepsake', '.keepsake-home'];

// target → path in the store
const dirs = {
  '/var/lib/app': 'var/lib/app',
  '/srv/my data': 'srv/my data',
  '/root/.ssh': 'root/.ssh',
  '/home/jane/Documents': 'home/jane/Documents',
};
const files = {
  '/etc/app.conf': 'etc/app.conf',
  '/home/jane/.bash_history': 'home/jane/.bash_history',
};

const configA = `persistence:
  /persist:
    hideMounts: true
    directories:
      - /var/lib/app
      - /srv/my data
    files:
      - /etc/app.conf
    users:
      root:
        directories: [.ssh]
      jane:
        directories: [Documents]
        files: [.bash_history]
`;
// One entry dropped (/srv/my data), one added (/var/lib/added).
const configB = configA.replace('      - /srv/my data\n', '      - /var/lib/added\n');
// A file entry whose store path is a directory: keepsake.service leaves that entry out, loudly.
const configBroken = configA.replace(
  '      - /etc/app.conf\n',
  '      - /etc/app.conf\n      - /etc/broken.conf\n',
);

/** Writes into persisted places: target → content; and where each lands in the store. */
const persistedWrites: Record<string, string> = {
  '/var/lib/app/state': 'app state\n',
  '/srv/my data/notes.txt': 'notes kept\n',
  '/etc/app.conf': 'setting = 1\n',
  '/root/.ssh/authorized_keys': 'ssh-ed25519 AAAA test\n',
  '/home/jane/Documents/todo.txt': 'todo\n',
  '/home/jane/.bash_history': 'ls\n',
};
const inStore = (target: string) => target.slice(1);
const undeclaredWrites: Record<string, string> = {
  '/var/lib/other/state': 'gone after reboot\n',
  '/etc/undeclared.conf': 'gone after reboot\n',
  '/root/undeclared': 'gone after reboot\n',
  '/home/jane/Downloads/file': 'gone after reboot\n',
};

/** The generations recorded in the store, as the host sees them. */
const generationsIn = (store: string): string[] => {
  const dir = path.join(store, '.keepsake/generations');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
};

/** The generation keepsake applied in this boot is recorded in the container's /run. */
function assertLiveGeneration(b: Booted, store: string, count: number) {
  const applied = bootedAndProbed(b).paths['/run/keepsake/applied.json'];
  assert.equal(applied?.type, 'file', `no live generation in /run/keepsake\n${b.describe()}`);
  assert.equal(
    generationsIn(store).length,
    count,
    `the store should hold ${count} generation(s): ${generationsIn(store).join(', ')}`,
  );
}

/** keepsake's unit succeeded, and was done before local-fs.target was reached. */
function assertUnitUp(b: Booted, mode: Mode) {
  const runs = bootedAndProbed(b).runs;
  assert.equal(
    runs.active?.stdout.trim(),
    'active',
    `${mode.unit} is not active\n${runs.cycles?.stdout ?? ''}${b.describe()}`,
  );
  const unit = Number(runs.unitEntered?.stdout.trim());
  const localFs = Number(runs.localFsEntered?.stdout.trim());
  assert.ok(
    unit > 0 && localFs > 0 && unit <= localFs,
    `${mode.unit} (at ${unit} µs) was not up before local-fs.target (at ${localFs} µs)\n${b.describe()}`,
  );
  assert.equal(
    runs.status?.status,
    0,
    `keepsake status sees drift in the booted system:\n${runs.status?.stdout}${runs.status?.stderr}\n${b.describe()}`,
  );
}

/** Shutdown left none of keepsake's mounts behind, and nothing failed to unmount. */
function assertCleanShutdown(b: Booted, mode: Mode, targets: string[]) {
  const problems = `systemd's warnings up to the shutdown probe:\n${b.down?.runs.problems?.stdout ?? '(none recorded)'}`;
  assert.deepEqual(
    unmountFailures(b.console),
    [],
    `unmounting failed at shutdown\n${problems}\n${b.describe()}`,
  );
  assert.ok(b.down, `the shutdown probe left no report\n${b.describe()}`);
  const left = targets.filter((t) => b.down?.mounts.some((m) => m.target === t));
  assert.deepEqual(
    left,
    [],
    `still mounted when keepsake's part of shutdown was done\n${b.describe()}`,
  );
  if (mode.unit === 'keepsake.service') {
    const show = b.down.runs.stop?.stdout ?? '';
    assert.match(
      show,
      /^Result=success$/m,
      `keepsake.service did not stop cleanly\n${show}\n${problems}\n${b.describe()}`,
    );
    assert.match(
      show,
      /^ExecStop=.*keepsake.* code=exited ; status=0 }$/m,
      `keepsake.service's ExecStop (keepsake release) did not run successfully:\n${show}\n${problems}\n${b.describe()}`,
    );
    assert.match(b.console, /Stopped keepsake\.service/, b.describe());
  }
}

const problem = nspawnProblem();

for (const mode of [serviceMode, compiledMode]) {
  describe(`nspawn boots, ${mode.name}`, { skip: skipUnlessCI(problem) }, () => {
    let bed: TestBed;
    const setConfig = (text: string) =>
      fs.writeFileSync(path.join(bed.store, CONFIG_IN_STORE), text);
    const bootWith = (up: ProbeSteps) =>
      bed.boot({
        install: (unitDir) => mode.install(bed, unitDir),
        up: {
          ...up,
          inspect: [...(up.inspect ?? []), '/run/keepsake/applied.json'],
          run: { ...unitRuns(mode), ...up.run },
        },
        down: downSteps(mode),
      });
    const allTargets = [...Object.keys(dirs), ...Object.keys(files), '/var/lib/added'];

    before(() => {
      if (problem)
        throw new Error(`CI=true and booting a container is impossible here: ${problem}`);
      bed = new TestBed();
    });
    after(() => bed?.cleanup());

    test('first boot on an empty store: everything declared is in place once local file systems are up; shutdown is clean', async () => {
      setConfig(configA);
      const b = await bootWith({
        inspect: ['/home/jane', '/home/jane/Documents', ...Object.keys(files), ...PACKAGE_PATHS],
        write: { ...persistedWrites, ...undeclaredWrites },
        run: { version: [KEEPSAKE, '--version'] },
      });
      const up = bootedAndProbed(b);
      assertFromPackage(b, up, KEEPSAKE);
      assertUnitUp(b, mode);
      for (const [target, stored] of Object.entries(dirs)) assertBound(b, up, target, stored);
      for (const [target, stored] of Object.entries(files)) assertFilePlaced(b, up, target, stored);
      // A home on the tmpfs root is created for its user.
      assert.deepEqual(
        [up.paths['/home/jane']?.uid, up.paths['/home/jane']?.mode],
        [1000, '700'],
        b.describe(),
      );
      assert.equal(up.paths['/home/jane/Documents']?.uid, 1000, b.describe());
      assertWritesDone(b, up);
      assertCleanShutdown(b, mode, allTargets);
      assertBootEnded(b);
      if (mode.records) assertLiveGeneration(b, bed.store, 1);
      // The store holds exactly what was written into persisted places.
      assert.deepEqual(
        storeFiles(bed.store, NOT_DATA),
        Object.fromEntries(Object.entries(persistedWrites).map(([t, c]) => [inStore(t), c])),
        `the store holds other data than what was persisted\n${b.describe()}`,
      );
    });

    test('second boot on the same store: persisted data is back, undeclared writes are gone', async () => {
      const b = await bootWith({
        inspect: [...Object.keys(persistedWrites), ...Object.keys(undeclaredWrites)],
      });
      const up = bootedAndProbed(b);
      assertUnitUp(b, mode);
      for (const [target, stored] of Object.entries(dirs)) assertBound(b, up, target, stored);
      // The stored file now exists: it is bound, not linked.
      for (const [target, stored] of Object.entries(files)) assertBound(b, up, target, stored);
      for (const [target, content] of Object.entries(persistedWrites))
        assertContent(b, up, target, content);
      for (const target of Object.keys(undeclaredWrites)) assertMissing(b, up, target);
      assertCleanShutdown(b, mode, allTargets);
      assertBootEnded(b);
      // The same setup as before: no new generation.
      if (mode.records) assertLiveGeneration(b, bed.store, 1);
      assert.deepEqual(
        Object.keys(storeFiles(bed.store, NOT_DATA)).sort(),
        Object.keys(persistedWrites).map(inStore).sort(),
      );
    });

    test('a changed configuration: the new entry is bound, the dropped one is not, its data stays in the store', async () => {
      setConfig(configB);
      const b = await bootWith({
        inspect: ['/srv/my data', '/var/lib/added'],
        write: { '/var/lib/added/new': 'new entry\n' },
      });
      const up = bootedAndProbed(b);
      assertUnitUp(b, mode);
      assertBound(b, up, '/var/lib/added', 'var/lib/added');
      assertNotMounted(b, up, '/srv/my data');
      assert.ok(
        ['missing', 'directory'].includes(up.paths['/srv/my data']?.type ?? '') &&
          (up.paths['/srv/my data']?.names ?? []).length === 0,
        `/srv/my data shows data although it is no longer declared\n${b.describe()}`,
      );
      assertWritesDone(b, up);
      assertCleanShutdown(b, mode, allTargets);
      assertBootEnded(b);
      if (mode.records) assertLiveGeneration(b, bed.store, 2);
      const stored = storeFiles(bed.store, NOT_DATA);
      assert.equal(
        stored['srv/my data/notes.txt'],
        'notes kept\n',
        'the dropped entry lost its data',
      );
      assert.equal(stored['var/lib/added/new'], 'new entry\n');
    });

    if (mode === serviceMode)
      test('a broken configuration fails keepsake.service loudly, and the boot goes on', async () => {
        setConfig(configBroken);
        fs.mkdirSync(path.join(bed.store, 'etc/broken.conf'), { recursive: true });
        const b = await bootWith({
          run: { failed: ['systemctl', 'is-failed', 'keepsake.service'] },
        });
        // The probe ran: the boot got past local-fs.target and shut down in time.
        assert.ok(!b.timedOut && b.status === 0 && b.up, `the boot did not go on\n${b.describe()}`);
        const runs = b.up.runs;
        assert.equal(runs.failed?.stdout.trim(), 'failed', b.describe());
        // A failed keepsake must not fail local file systems (that would end in emergency mode).
        assert.equal(
          runs.localFs?.stdout.trim(),
          'active',
          `local-fs.target failed\n${b.describe()}`,
        );
        assert.match(
          runs.journal?.stdout ?? '',
          /\/etc\/broken\.conf/,
          `keepsake's error does not show in its journal:\n${runs.journal?.stdout}\n${b.describe()}`,
        );
        // keepsake.service runs apply --keep-going: the broken entry is left out and named,
        // every other entry is in place.
        assert.match(runs.journal?.stdout ?? '', /skipped file:\/etc\/broken\.conf/, b.describe());
        assertNotMounted(b, b.up, '/etc/broken.conf');
        for (const [target, stored] of Object.entries(dirs)) assertBound(b, b.up, target, stored);
        assert.deepEqual(unmountFailures(b.console), [], b.describe());
        assertBootEnded(b, ['keepsake.service']);
      });
  });
}

// A persistent root with home directories on their own tmpfs, mounted by systemd during the
// boot (an fstab line): keepsake's binds into homes must wait for it, or the tmpfs lands on top
// of them and hides them.
const homeConfig = `persistence:
  /persist:
    directories:
      - /var/lib/app
    users:
      jane:
        directories: [Documents, { directory: .ssh, mode: "0700" }]
        files: [.bash_history]
`;
/** Service mode also links declared home files, from generations kept in the store. */
const homeFilesConfig = `${homeConfig}users:
  jane:
    files:
      .gitconfig: { text: "[user]\\n  name = Jane\\n" }
      bin/hello: { text: "#!/bin/sh\\necho hello\\n", executable: true }
`;
const homeFiles = {
  '/home/jane/.gitconfig': '[user]\n  name = Jane\n',
  '/home/jane/bin/hello': '#!/bin/sh\necho hello\n',
};
const homeWrites: Record<string, string> = {
  '/home/jane/Documents/report.txt': 'report\n',
  '/home/jane/.ssh/known_hosts': 'host key\n',
  '/home/jane/.bash_history': 'cd\n',
};
const homeUndeclared = ['/home/jane/.cache/thumb', '/home/jane/notes'];

for (const mode of [serviceMode, compiledMode]) {
  describe(`nspawn boots, tmpfs home, ${mode.name}`, { skip: skipUnlessCI(problem) }, () => {
    let bed: TestBed;
    const bootWith = (up: ProbeSteps) =>
      bed.boot({
        install: (unitDir) => mode.install(bed, unitDir),
        up: { ...up, run: { ...unitRuns(mode), ...up.run } },
        down: downSteps(mode),
        systemUnits: { 'home.mount': tmpfsHomeUnit() },
      });
    const targets = ['/home/jane/Documents', '/home/jane/.ssh', '/home/jane/.bash_history'];

    before(() => {
      bed = TestBed.withConfig(problem, mode.records ? homeFilesConfig : homeConfig);
    });
    after(() => bed?.cleanup());

    test('first boot: the binds are made inside the tmpfs home, with the home owned by its user', async () => {
      const b = await bootWith({
        inspect: ['/home/jane', '/home/jane/.ssh', '/home/jane/.bash_history'],
        write: {
          ...homeWrites,
          ...Object.fromEntries(homeUndeclared.map((p) => [p, 'gone\n'])),
        },
      });
      const up = bootedAndProbed(b);
      assertUnitUp(b, mode);
      assert.equal(
        up.mounts.findLast((m) => m.target === '/home')?.fstype,
        'tmpfs',
        `/home is not its own tmpfs\n${b.describe()}`,
      );
      assertBound(b, up, '/home/jane/Documents', 'home/jane/Documents');
      assertBound(b, up, '/home/jane/.ssh', 'home/jane/.ssh');
      assertFilePlaced(b, up, '/home/jane/.bash_history', 'home/jane/.bash_history');
      assert.deepEqual(
        [up.paths['/home/jane']?.uid, up.paths['/home/jane']?.mode],
        [1000, '700'],
        b.describe(),
      );
      assert.deepEqual(
        [up.paths['/home/jane/.ssh']?.uid, up.paths['/home/jane/.ssh']?.mode],
        [1000, '700'],
        b.describe(),
      );
      assertWritesDone(b, up);
      assertCleanShutdown(b, mode, targets);
      assertBootEnded(b);
    });

    test('second boot: the persisted home entries are back, the rest is gone, declared home files are linked again (service mode)', async () => {
      const b = await bootWith({
        inspect: [...Object.keys(homeWrites), ...homeUndeclared, ...Object.keys(homeFiles)],
        run: {
          gitconfig: ['cat', '/home/jane/.gitconfig'],
          hello: [
            'setpriv',
            '--reuid=1000',
            '--regid=1000',
            '--clear-groups',
            '/home/jane/bin/hello',
          ],
        },
      });
      const up = bootedAndProbed(b);
      assertUnitUp(b, mode);
      if (mode.records)
        for (const [target, content] of Object.entries(homeFiles)) {
          // Linked again into the wiped home, by the user's own process, from the store.
          const seen = up.paths[target];
          assert.equal(seen?.type, 'symlink', `${target} is not linked\n${b.describe()}`);
          assert.match(seen?.link ?? '', /^\/persist\/\.keepsake-home\/jane\//, b.describe());
          assert.equal(seen?.uid, 1000, `${target} is not the user's`);
          if (target.endsWith('.gitconfig')) assert.equal(up.runs.gitconfig?.stdout, content);
          else
            assert.equal(
              up.runs.hello?.stdout,
              'hello\n',
              `the executable file does not run as its user: ${up.runs.hello?.stderr}`,
            );
        }
      for (const t of targets) assertBound(b, up, t, t.slice(1));
      for (const [target, content] of Object.entries(homeWrites))
        assertContent(b, up, target, content);
      for (const target of homeUndeclared) assertMissing(b, up, target);
      assertCleanShutdown(b, mode, targets);
      assertBootEnded(b);
      assert.deepEqual(
        storeFiles(bed.store, NOT_DATA),
        Object.fromEntries(Object.entries(homeWrites).map(([t, c]) => [inStore(t), c])),
      );
    });
  });
}
