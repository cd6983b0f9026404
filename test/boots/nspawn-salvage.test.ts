// A real shutdown salvages: keepsake.service (install-service, salvage.enable) on a volatile
// root; a file written during the boot and declared nowhere is in the store's salvage after
// the container stopped, with its owner, mode and content, in a complete record.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipUnlessCI } from '../helpers/ns-run.js';
import { nspawnProblem } from './nspawn/container.js';
import { bootedAndProbed, unmountFailures } from './nspawn/expect.js';
import { serviceMode } from './nspawn/modes.js';
import { TestBed } from './nspawn/testbed.js';

const problem = nspawnProblem();

describe('nspawn boot, service mode, salvage at shutdown', {
  skip: skipUnlessCI(problem),
}, () => {
  let bed: TestBed;
  before(() => {
    bed = TestBed.withConfig(
      problem,
      `persistence:
  /persist:
    directories: [/var/log/app]
salvage:
  enable: true
`,
    );
  });
  after(() => bed?.cleanup());

  test('ExecStop copies what the boot wrote and nothing declares, before release', async () => {
    const b = await bed.boot({
      install: (unitDir) => serviceMode.install(bed, unitDir),
      up: {
        write: {
          '/etc/forgotten.conf': 'forgot me\n',
          '/var/log/app/kept.log': 'declared\n',
        },
        run: { active: ['systemctl', 'is-active', 'keepsake.service'] },
      },
    });
    const report = bootedAndProbed(b);
    assert.equal(report.runs.active?.stdout.trim(), 'active', b.describe());
    assert.deepEqual(unmountFailures(b.console), [], b.describe());
    const dir = path.join(bed.store, '.keepsake/salvage');
    const boots = fs.readdirSync(dir);
    assert.equal(boots.length, 1, b.describe());
    const record = JSON.parse(fs.readFileSync(path.join(dir, boots[0]!, 'salvage.json'), 'utf8'));
    assert.equal(record.complete, true, JSON.stringify(record));
    const files = record.files.map((f: { path: string }) => f.path);
    assert.ok(files.includes('/etc/forgotten.conf'), JSON.stringify(files));
    assert.ok(!files.includes('/var/log/app/kept.log'), 'a declared file is not salvaged');
    const copy = path.join(dir, boots[0]!, 'files/etc/forgotten.conf');
    assert.equal(fs.readFileSync(copy, 'utf8'), 'forgot me\n');
    assert.equal((fs.statSync(path.join(dir)).mode & 0o7777).toString(8), '700');
  });
});
