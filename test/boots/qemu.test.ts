// Real boots under qemu: a Debian kernel, dracut's initrd, systemd with a volatile root
// (`systemd.volatile=yes`: / is a tmpfs, /usr comes from the root disk), and the store on a
// second virtio disk, labelled `persist`, that systemd mounts at /persist. The same store disk
// goes through several boots; the probe unit reports each boot on a serial line, and the store
// disk is read back with debugfs after power-off.
//
// Service mode: keepsake.service (install-service) applies the configuration kept in the store,
// and SSH host keys are generated into the store before keepsake binds them.
// Compiled initrd mode: the units of `compile --systemd --initrd` are appended to the initrd, so
// the binds (machine-id among them) are in place before the switch to the real root.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipUnlessCI } from '../helpers/ns-run.js';
import { initrdWithOverlay } from './qemu/cpio.js';
import { listDir, readFile, replaceFile } from './qemu/disk.js';
import { installSsh, LOCAL_UNITS, PROBE_PATHS, SSH_HOST_KEYS } from './qemu/guest.js';
import { type DebianImage, debianImage } from './qemu/image.js';
import { type Boot, Machine, unmountFailures, withLog } from './qemu/machine.js';
import { buildRootDisk, buildStoreDisk } from './qemu/root-disk.js';
import { vmProblem } from './qemu/vm.js';
import { REPO } from './stage.js';

const CLI = path.join(REPO, 'bin/keepsake.js');
const STORE_DEVICE = '/persist=/dev/disk/by-label/persist:ext4';
const { dir: DIR, file: FILE, undeclaredDir, undeclaredFile } = PROBE_PATHS;

const serviceConfig = `persistence:
  /persist:
    directories:
      - ${DIR}
    files:
      - ${FILE}
${SSH_HOST_KEYS.map((k) => `      - ${k}`).join('\n')}
`;
/** The same, and machine-id: PID 1 reads it before keepsake.service can bind it. */
const serviceConfigWithId = serviceConfig.replace(
  `      - ${FILE}\n`,
  `      - ${FILE}\n      - /etc/machine-id\n`,
);

const initrdConfig = `persistence:
  /persist:
    directories:
      - ${DIR}
    files:
      - ${FILE}
      - /etc/machine-id
`;

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `keepsake ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `KSTEST unit` lines: unit name → "LoadState ActiveState Result". */
function unitStates(boot: Boot): Map<string, string> {
  return new Map(
    boot.all('unit').map((l) => {
      const [name, ...state] = l.split(' ');
      return [name!, state.join(' ')] as const;
    }),
  );
}

/** `findmnt -rn -o TARGET,SOURCE,FSTYPE,PROPAGATION` lines: target → source. */
function mounts(boot: Boot): Map<string, string> {
  return new Map(
    boot.all('mount').map((l) => {
      const [target, source] = l.split(' ');
      return [target!, source!] as const;
    }),
  );
}

/** sshd's key fingerprints: type → SHA256:... */
function fingerprints(boot: Boot): Map<string, string> {
  return new Map(
    boot.all('ssh_fingerprint').map((l) => {
      const [type, fp] = l.split(' ');
      return [type!, fp!] as const;
    }),
  );
}

function assertCommon(boot: Boot): void {
  withLog(boot, () => {
    assert.deepEqual(boot.all('write_failed'), [], 'the probe could write everywhere');
    assert.deepEqual(
      boot.all('undeclared_left'),
      [],
      'undeclared writes of earlier boots are gone',
    );
    assert.match(
      mounts(boot).get('/persist') ?? '',
      /^\/dev\/vdb$/,
      'the store disk is on /persist',
    );
    assert.match(mounts(boot).get(DIR) ?? '', /^\/dev\/vdb\[\/var\/lib\/kstest\]$/);
    assert.deepEqual(unmountFailures(boot.run.console), []);
  });
}

const problem = vmProblem();

describe('qemu boots (kernel, initrd, volatile root, store on a block device)', {
  skip: skipUnlessCI(problem),
}, () => {
  let image: DebianImage;
  let work: string;
  let failed = false;
  const started = Date.now();

  before(() => {
    if (problem) throw new Error(`the qemu tier cannot run here: ${problem}`);
    image = debianImage((line) => process.stderr.write(`# qemu: ${line}\n`));
    process.stderr.write(
      `# qemu: Debian image ${image.cached ? 'from the cache' : `built in ${image.buildSeconds.toFixed(0)} s`}: ${image.tree}\n`,
    );
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-qemu-'));
  });

  after(() => {
    process.stderr.write(
      `# qemu: tier took ${((Date.now() - started) / 1000).toFixed(0)} s${failed ? `; logs and disks kept in ${work}` : ''}\n`,
    );
    if (work && !failed && !process.env.KEEPSAKE_BOOT_KEEP) {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  const step = (name: string, fn: () => void | Promise<void>) =>
    test(name, async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    });

  describe('service mode: keepsake.service, the store mounted by systemd', () => {
    let machine: Machine;
    let first: Boot;
    let second: Boot;
    let third: Boot;

    before(async () => {
      // The configuration lives in the store: /etc is empty at every boot. The unit is made
      // for the configuration with machine-id, which the store's gets from boot 3 on.
      const hostRoot = path.join(work, 'service.host');
      const config = path.join(hostRoot, 'persist/keepsake.yaml');
      fs.mkdirSync(path.dirname(config), { recursive: true });
      fs.writeFileSync(config, serviceConfigWithId);
      const compiled = path.join(work, 'service.compiled');
      cli(['compile', '--systemd', compiled, '--store-device', STORE_DEVICE, '--config', config]);
      const root = buildRootDisk(image, work, 'service', (usr) => {
        const units = path.join(usr, LOCAL_UNITS);
        cli([
          'install-service',
          '--root',
          hostRoot,
          '--config',
          config,
          '--unit-dir',
          units,
          '--bin',
          '/usr/local/bin/keepsake',
        ]);
        // Only the store's mount unit from compile: keepsake.service pulls it in.
        fs.copyFileSync(
          path.join(compiled, 'system/persist.mount'),
          path.join(units, 'persist.mount'),
        );
        installSsh(usr);
      });
      const store = buildStoreDisk(work, 'service', { 'keepsake.yaml': serviceConfig });
      machine = new Machine({ name: 'service', work, image, root, store });
    });

    step(
      'boot 1: an empty store; keepsake applies, SSH host keys are made in the store',
      async () => {
        first = await machine.boot();
        assertCommon(first);
        withLog(first, () => {
          const units = unitStates(first);
          assert.equal(units.get('persist.mount'), 'loaded active success');
          assert.equal(units.get('keepsake.service'), 'loaded active success');
          assert.equal(units.get('keepsake-ssh-host-keys.service'), 'loaded active success');
          assert.equal(units.get('ssh.service'), 'loaded active success');
          assert.deepEqual(first.all('seen'), [], 'nothing persisted yet');
          const fps = fingerprints(first);
          assert.deepEqual([...fps.keys()].sort(), ['ecdsa', 'ed25519', 'rsa']);
          assert.deepEqual(
            first.all('ssh_served'),
            [fps.get('ed25519')],
            'sshd serves the stored key',
          );
        });
        const clean = machine.storeClean();
        assert.ok(clean.clean, `store file system left ${clean.state}`);
        const store = machine.spec.store;
        assert.equal(readFile(store, `${DIR}/boots`), `${first.one('boot_id')}\n`);
        assert.equal(readFile(store, FILE), `written in ${first.one('boot_id')}\n`);
        for (const key of SSH_HOST_KEYS) {
          assert.ok((readFile(store, key) ?? '').length > 0, `${key} is in the store`);
        }
        assert.equal(readFile(store, undeclaredFile), null);
        assert.equal(listDir(store, undeclaredDir), null);
      },
    );

    step('boot 2: data and SSH host keys come back; undeclared writes are gone', async () => {
      assert.ok(first, 'boot 1 did not complete');
      second = await machine.boot();
      assertCommon(second);
      withLog(second, () => {
        assert.equal(unitStates(second).get('keepsake.service'), 'loaded active success');
        assert.equal(unitStates(second).get('ssh.service'), 'loaded active success');
        assert.deepEqual(second.all('seen'), [first.one('boot_id')]);
        assert.deepEqual(second.all('note'), [`written in ${first.one('boot_id')}`]);
        assert.match(
          second.one('data_file_mount'),
          /^\/dev\/vdb\[\/etc\/kstest\.note\]/,
          'bound now',
        );
        assert.deepEqual(fingerprints(second), fingerprints(first), 'the same host keys');
        assert.deepEqual(second.all('ssh_served'), [fingerprints(first).get('ed25519')]);
      });
      assert.ok(machine.storeClean().clean);
      assert.equal(
        readFile(machine.spec.store, `${DIR}/boots`),
        `${first.one('boot_id')}\n${second.one('boot_id')}\n`,
      );
    });

    step('boot 3: machine-id declared; keepsake keeps the id systemd booted with', async () => {
      assert.ok(second, 'boot 2 did not complete');
      replaceFile(machine.spec.store, '/keepsake.yaml', serviceConfigWithId, work);
      third = await machine.boot();
      assertCommon(third);
      withLog(third, () => {
        assert.equal(unitStates(third).get('keepsake.service'), 'loaded active success');
        assert.deepEqual(third.all('seen'), [first.one('boot_id'), second.one('boot_id')]);
        assert.match(third.one('machine_id'), /^[0-9a-f]{32}$/);
        // Bound from the store in place of systemd's transient first-boot id (a bind on top
        // of it would show at /run/machine-id too).
        assert.deepEqual(
          third.all('machine_id_mount').map((l) => l.split(/\s+/)[0]),
          ['/dev/vdb[/etc/machine-id]'],
        );
      });
      assert.ok(machine.storeClean().clean);
      assert.equal(readFile(machine.spec.store, '/etc/machine-id'), `${third.one('machine_id')}\n`);
    });

    step(
      'boot 4: with systemd.machine_id= from the store, PID 1 and the journal use it',
      async () => {
        assert.ok(third, 'boot 3 did not complete');
        const id = third.one('machine_id');
        const fourth = await machine.boot([`systemd.machine_id=${id}`]);
        assertCommon(fourth);
        withLog(fourth, () => {
          assert.equal(unitStates(fourth).get('keepsake.service'), 'loaded active success');
          assert.equal(fourth.one('machine_id'), id);
          // In place of systemd's transient id.
          assert.match(
            fourth.all('machine_id_mount').at(-1) ?? '',
            /^\/dev\/vdb\[\/etc\/machine-id\]/,
          );
          assert.ok(
            fourth.all('journal_dir').includes(id),
            'the journal is kept under the stored id',
          );
        });
        assert.equal(readFile(machine.spec.store, '/etc/machine-id'), `${id}\n`);
      },
    );
  });

  describe('compiled initrd mode: units appended to the initrd, binds made before switch-root', () => {
    let machine: Machine;
    let first: Boot;

    before(() => {
      const host = path.join(work, 'initrd.host');
      fs.mkdirSync(host);
      fs.writeFileSync(path.join(host, 'keepsake.yaml'), initrdConfig);
      const compiled = path.join(work, 'initrd.compiled');
      cli([
        'compile',
        '--systemd',
        compiled,
        '--initrd',
        '--store-device',
        STORE_DEVICE,
        '--config',
        path.join(host, 'keepsake.yaml'),
      ]);
      const overlay = path.join(work, 'initrd.overlay');
      fs.mkdirSync(path.join(overlay, 'etc/systemd'), { recursive: true });
      fs.cpSync(path.join(compiled, 'system'), path.join(overlay, 'etc/systemd/system'), {
        recursive: true,
        verbatimSymlinks: true,
      });
      const initrd = path.join(work, 'initrd.img');
      initrdWithOverlay(image.initrd, overlay, initrd);
      const root = buildRootDisk(image, work, 'initrd');
      // The store starts empty: keepsake-prepare seeds machine-id with "uninitialized".
      const store = buildStoreDisk(work, 'initrd', {});
      machine = new Machine({ name: 'initrd', work, image, root, store, initrd });
    });

    step(
      'boot 1: the first-boot machine-id is committed into the store; binds are in place',
      async () => {
        first = await machine.boot();
        assertCommon(first);
        withLog(first, () => {
          assert.ok(/Detected first boot/.test(first.run.console), 'systemd sees a first boot');
          const journal = first.all('journal').join('\n');
          assert.ok(/Mounted sysroot-persist\.mount/.test(journal), 'the initrd mounts the store');
          assert.ok(
            /Reached target keepsake\.target/.test(journal),
            'keepsake.target in the initrd',
          );
          assert.match(first.one('machine_id'), /^[0-9a-f]{32}$/);
          assert.match(first.one('machine_id_mount'), /^\/dev\/vdb\[\/etc\/machine-id\]/);
          assert.equal(
            unitStates(first).get('systemd-machine-id-commit.service'),
            'loaded active success',
          );
          assert.ok(first.all('journal_dir').includes(first.one('machine_id')));
          assert.match(first.one('data_file_mount'), /^\/dev\/vdb\[\/etc\/kstest\.note\]/);
        });
        assert.ok(machine.storeClean().clean);
        assert.equal(
          readFile(machine.spec.store, '/etc/machine-id'),
          `${first.one('machine_id')}\n`,
        );
        assert.equal(readFile(machine.spec.store, `${DIR}/boots`), `${first.one('boot_id')}\n`);
      },
    );

    step('boot 2: the same machine-id from PID 1 on, the data back, shutdown clean', async () => {
      const second = await machine.boot();
      assertCommon(second);
      withLog(second, () => {
        assert.ok(!/Detected first boot/.test(second.run.console), 'not a first boot any more');
        assert.equal(second.one('machine_id'), first.one('machine_id'));
        assert.ok(second.all('journal_dir').includes(first.one('machine_id')));
        assert.deepEqual(second.all('seen'), [first.one('boot_id')]);
        assert.deepEqual(second.all('note'), [`written in ${first.one('boot_id')}`]);
      });
      assert.ok(machine.storeClean().clean);
      assert.equal(readFile(machine.spec.store, '/etc/machine-id'), `${first.one('machine_id')}\n`);
    });
  });
});
