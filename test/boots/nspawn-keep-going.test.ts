// Real boots of keepsake.service (`install-service`, which runs `apply --keep-going`) on a
// volatile root: one entry's target already holds data when keepsake runs, and every other entry
// must still be in place, the data left visible, and the failure shown by `systemctl --failed`
// and in the journal. And accounts that are themselves persisted: a user who exists only in the
// stored /etc/passwd gets their home entries, owned by them.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipUnlessCI } from '../helpers/ns-run.js';
import { nspawnProblem } from './nspawn/container.js';
import {
  assertBound,
  assertContent,
  assertFilePlaced,
  assertNotMounted,
  bootedAndProbed,
  unmountFailures,
} from './nspawn/expect.js';
import { CONFIG_IN_STORE, KEEPSAKE, serviceMode } from './nspawn/modes.js';
import type { ProbeSteps } from './nspawn/probe.js';
import { TestBed } from './nspawn/testbed.js';

/** keepsake.service as `install-service` writes it, plus the test's own units (`wants`: each
 *  one started by local-fs.target). */
function installService(
  bed: TestBed,
  unitDir: string,
  units: Record<string, string>,
  wants: string[] = [],
) {
  serviceMode.install(bed, unitDir);
  for (const [name, text] of Object.entries(units)) {
    fs.mkdirSync(path.dirname(path.join(unitDir, name)), { recursive: true });
    fs.writeFileSync(path.join(unitDir, name), text);
  }
  for (const unit of wants) {
    const dir = path.join(unitDir, 'local-fs.target.wants');
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync(`../${unit}`, path.join(dir, unit));
  }
}

/** Something early in the boot writes where an entry goes, before keepsake runs. */
const EARLY_WRITER = `[Unit]
Description=keepsake boot test: data written into a target before keepsake
DefaultDependencies=no
After=keepsake-test-accounts.service
Before=keepsake.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'mkdir -p /var/lib/app && echo "written early" > /var/lib/app/early.txt'
`;

const problem = nspawnProblem();

describe('nspawn boots, service mode, an entry with data in its target (apply --keep-going)', {
  skip: skipUnlessCI(problem),
}, () => {
  let bed: TestBed;
  before(() => {
    bed = TestBed.withConfig(
      problem,
      `persistence:
  /persist:
    directories:
      - /var/log/app
      - /var/lib/app
      - /var/lib/app/plugins
      - /srv/data
    files:
      - /etc/app.conf
    users:
      jane:
        directories: [Documents]
`,
    );
  });
  after(() => bed?.cleanup());

  test('every other entry is in place, the data stays visible, keepsake.service is failed and says why', async () => {
    const up: ProbeSteps = {
      inspect: ['/var/lib/app', '/var/lib/app/early.txt', '/home/jane/Documents', '/etc/app.conf'],
      run: {
        failed: ['systemctl', '--failed', '--plain', '--no-legend', '--no-pager'],
        active: ['systemctl', 'is-active', 'keepsake.service'],
        localFs: ['systemctl', 'is-active', 'local-fs.target'],
        journal: ['journalctl', '--no-pager', '-o', 'cat', '-u', 'keepsake.service'],
        status: [KEEPSAKE, 'status', '--config', `/persist/${CONFIG_IN_STORE}`],
      },
    };
    const b = await bed.boot({
      install: (unitDir) =>
        installService(bed, unitDir, { 'keepsake-test-early.service': EARLY_WRITER }, [
          'keepsake-test-early.service',
        ]),
      up,
    });
    const report = bootedAndProbed(b);
    const runs = report.runs;
    // The failure is loud: systemctl --failed lists keepsake, and the boot went on.
    assert.match(runs.failed?.stdout ?? '', /^keepsake\.service\s/m, b.describe());
    assert.equal(runs.active?.stdout.trim(), 'failed', b.describe());
    assert.equal(runs.localFs?.stdout.trim(), 'active', `local-fs.target failed\n${b.describe()}`);
    // The journal names the entry, why, and what to do.
    const journal = runs.journal?.stdout ?? '';
    assert.match(
      journal,
      /skipped directory:\/var\/lib\/app: \/var\/lib\/app already holds 1 file/,
    );
    assert.match(journal, /skipped directory:\/var\/lib\/app\/plugins: inside \/var\/lib\/app/);
    assert.match(journal, /fix: run keepsake apply --adopt/);
    // Every other entry is in place.
    assertBound(b, report, '/var/log/app', 'var/log/app');
    assertBound(b, report, '/srv/data', 'srv/data');
    assertBound(b, report, '/home/jane/Documents', 'home/jane/Documents');
    assert.equal(report.paths['/home/jane/Documents']?.uid, 1000, b.describe());
    assertFilePlaced(b, report, '/etc/app.conf', 'etc/app.conf');
    // The problem entry's data is visible, not hidden under a mount.
    assertNotMounted(b, report, '/var/lib/app');
    assertNotMounted(b, report, '/var/lib/app/plugins');
    assertContent(b, report, '/var/lib/app/early.txt', 'written early\n');
    assert.deepEqual(report.paths['/var/lib/app']?.names, ['early.txt'], b.describe());
    // status shows what the last apply skipped.
    assert.match(
      runs.status?.stdout ?? '',
      /the last apply skipped 2 entries: \/var\/lib\/app, \/var\/lib\/app\/plugins/,
    );
    assert.deepEqual(unmountFailures(b.console), [], b.describe());
    // Nothing was made in the store for the skipped entries.
    assert.ok(
      !fs.existsSync(path.join(bed.store, 'var/lib/app')),
      'a store path was made for a skipped entry',
    );
  });
});

/** This boot's /etc/passwd knows only root (as the image's would); jane was added later. */
const ROOT_ONLY_ACCOUNTS = `[Service]
ExecStart=
ExecStart=/bin/sh -c 'echo root:x:0:0:root:/root:/bin/sh > /etc/passwd && echo root:x:0: > /etc/group'
`;
const STORED_PASSWD = 'root:x:0:0:root:/root:/bin/sh\njane:x:1001:1002:Jane:/home/jane:/bin/sh\n';
const STORED_GROUP = 'root:x:0:\njane:x:1002:\n';

describe('nspawn boots, --volatile=yes, a user only in the stored passwd', {
  skip: skipUnlessCI(problem),
}, () => {
  let bed: TestBed;
  before(() => {
    if (problem) throw new Error(`CI=true and booting a container is impossible here: ${problem}`);
    bed = new TestBed();
    fs.mkdirSync(path.join(bed.store, 'etc'));
    fs.writeFileSync(path.join(bed.store, 'etc/passwd'), STORED_PASSWD);
    fs.writeFileSync(path.join(bed.store, 'etc/group'), STORED_GROUP);
    fs.writeFileSync(
      path.join(bed.store, CONFIG_IN_STORE),
      `persistence:
  /persist:
    files:
      - { file: /etc/passwd, adopt: true }
      - { file: /etc/group, adopt: true }
    users:
      jane:
        directories: [Documents]
`,
    );
  });
  after(() => bed?.cleanup());

  test('their home entries are in place, owned by them, and the stored passwd is bound', async () => {
    const b = await bed.boot({
      install: (unitDir) =>
        installService(bed, unitDir, {
          'keepsake-test-accounts.service.d/root-only.conf': ROOT_ONLY_ACCOUNTS,
        }),
      up: {
        inspect: ['/etc/passwd', '/home/jane', '/home/jane/Documents'],
        write: { '/home/jane/Documents/report.txt': 'report\n' },
        run: {
          active: ['systemctl', 'is-active', 'keepsake.service'],
          journal: ['journalctl', '--no-pager', '-o', 'cat', '-u', 'keepsake.service'],
          owner: ['stat', '-c', '%U:%G', '/home/jane/Documents'],
        },
      },
    });
    const report = bootedAndProbed(b);
    assert.equal(
      report.runs.active?.stdout.trim(),
      'active',
      `${report.runs.journal?.stdout}\n${b.describe()}`,
    );
    assertBound(b, report, '/etc/passwd', 'etc/passwd');
    assertContent(b, report, '/etc/passwd', STORED_PASSWD);
    assertBound(b, report, '/home/jane/Documents', 'home/jane/Documents');
    for (const p of ['/home/jane', '/home/jane/Documents'])
      assert.deepEqual(
        [report.paths[p]?.uid, report.paths[p]?.gid],
        [1001, 1002],
        `${p} is not jane's\n${b.describe()}`,
      );
    assert.equal(report.runs.owner?.stdout.trim(), 'jane:jane', b.describe());
    assert.equal(report.writes['/home/jane/Documents/report.txt'], null, b.describe());
    const stored = path.join(bed.store, 'home/jane/Documents/report.txt');
    assert.equal(fs.readFileSync(stored, 'utf8'), 'report\n');
    assert.equal(fs.statSync(stored).uid, 0, 'the probe writes as root');
    assert.equal(fs.statSync(path.dirname(stored)).uid, 1001);
  });
});
